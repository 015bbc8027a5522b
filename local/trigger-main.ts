import { triggerCommand } from './trigger/trigger-command.js';

/** `npm run trigger -- ...`: exit 0 when every request was accepted, 1 when any failed, 2 on bad usage. */
process.exitCode = await triggerCommand(process.argv.slice(2), process.env, {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
});
