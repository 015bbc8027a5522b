import { runDoctor } from './doctor.js';
import { parseDoctorArgs, USAGE, UsageError } from './doctor-args.js';
import { formatReport } from './report.js';
import { StackNotFoundError } from './stack-facts.js';

// `npm run doctor -- --stack <name> [--region <r>]`: exit 0 without failures, 1 with, 2 on usage errors.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
try {
  const args = parseDoctorArgs(process.argv.slice(2));
  const { results } = await runDoctor({
    stack: args.stack,
    region: args.region,
    timeoutMs: args.timeoutMs,
    dockerHub:
      process.env.DOCTOR_DOCKER_AUTH_URL && process.env.DOCTOR_DOCKER_REGISTRY_URL
        ? { auth: process.env.DOCTOR_DOCKER_AUTH_URL, registry: process.env.DOCTOR_DOCKER_REGISTRY_URL }
        : undefined,
  });
  for (const line of formatReport(args.stack, results)) console.log(line);
  process.exitCode = results.some((r) => r.status === 'fail') ? 1 : 0;
} catch (error) {
  if (error instanceof UsageError || error instanceof StackNotFoundError) {
    console.error(`doctor: ${error.message}`);
    if (error instanceof UsageError) console.error(USAGE);
    process.exitCode = 2;
  } else {
    const e = error as { name?: string; message?: string };
    console.error(`doctor: could not read the stack: ${e.name ?? 'Error'}: ${e.message ?? String(error)}`);
    console.error('Check your AWS credentials and Region (aws sts get-caller-identity).');
    process.exitCode = 1;
  }
}
