import { parseTriggerArgs, TRIGGER_HELP } from './trigger/trigger-args.js';
import { runTrigger } from './trigger/trigger-run.js';

/** `npm run trigger -- ...`: exit 0 when every request was accepted, 1 when any failed, 2 on bad usage. */
async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseTriggerArgs(argv, process.env);
  if (parsed.kind === 'help') {
    process.stdout.write(TRIGGER_HELP);
    return 0;
  }
  if (parsed.kind === 'error') {
    process.stderr.write(`${parsed.message}\n\nRun with --help for usage.\n`);
    return 2;
  }
  return runTrigger(parsed.options, { out: (text) => process.stdout.write(text) });
}

process.exitCode = await main(process.argv.slice(2));
