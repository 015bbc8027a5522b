import { awsFailure } from './check.js';
import { runDoctor } from './doctor.js';
import { type DoctorArgs, parseDoctorArgs, USAGE, UsageError } from './doctor-args.js';
import { dockerHubFromEnv } from './image/docker-hub.js';
import { formatReport } from './report.js';
import { StackNotFoundError } from './stack-facts.js';

// `npm run doctor -- --stack <name> [--region <r>]`: exit 0 without failures, 1 with, 2 on usage errors.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
let args: DoctorArgs | undefined;
try {
  args = parseDoctorArgs(process.argv.slice(2));
  const { facts, results } = await runDoctor({
    stack: args.stack,
    region: args.region,
    timeoutMs: args.timeoutMs,
    dockerHub: dockerHubFromEnv(process.env),
  });
  const title = facts.source === 'env0' ? `${args.stack} (env0 pull mode)` : args.stack;
  for (const line of formatReport(title, results)) console.log(line);
  process.exitCode = results.some((r) => r.status === 'fail') ? 1 : 0;
} catch (error) {
  if (error instanceof UsageError || error instanceof StackNotFoundError) {
    console.error(`doctor: ${error.message}`);
    if (error instanceof UsageError) console.error(USAGE);
    process.exitCode = 2;
  } else if (/Region is missing/i.test((error as Error).message ?? '')) {
    console.error('doctor: no AWS Region: pass --region <region> or set AWS_REGION / a profile Region');
    process.exitCode = 2;
  } else {
    const line = awsFailure(
      'stack',
      `read stack ${args?.stack ?? ''}`,
      error,
      'cloudformation:DescribeStacks',
      args?.timeoutMs ?? 0,
    );
    console.error(`doctor: ${line.detail}`);
    console.error(`fix: ${line.fix}`);
    process.exitCode = 1;
  }
}
