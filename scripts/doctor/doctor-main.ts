import { doctorCommand } from './doctor-command.js';

// `npm run doctor -- --stack <name> [--region <r>]`: exit 0 without failures, 1 with, 2 on usage errors.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.exitCode = await doctorCommand(process.argv.slice(2), process.env, {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
});
