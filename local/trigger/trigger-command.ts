import { parseTriggerArgs, TRIGGER_HELP } from './trigger-args.js';
import { runTrigger } from './trigger-run.js';

/** Where the command writes: the report to `out` (stdout), usage errors to `err` (stderr). */
export interface TriggerCommandIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/**
 * `npm run trigger -- ...` without the process around it (trigger-main.ts): resolves to the exit
 * code, 0 when every request was accepted, 1 when any failed, 2 on bad usage.
 */
export async function triggerCommand(
  argv: readonly string[],
  env: Parameters<typeof parseTriggerArgs>[1],
  io: TriggerCommandIo,
): Promise<number> {
  const parsed = parseTriggerArgs(argv, env);
  if (parsed.kind === 'help') {
    io.out(TRIGGER_HELP);
    return 0;
  }
  if (parsed.kind === 'error') {
    io.err(`${parsed.message}\n\nRun with --help for usage.\n`);
    return 2;
  }
  return runTrigger(parsed.options, { out: io.out });
}
