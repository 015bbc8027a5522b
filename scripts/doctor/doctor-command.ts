import { awsFailure } from './check.js';
import { runDoctor } from './doctor.js';
import { type DoctorArgs, parseDoctorArgs, USAGE, UsageError } from './doctor-args.js';
import { dockerHubFromEnv } from './image/docker-hub.js';
import { formatReport } from './report.js';
import { StackNotFoundError } from './stack-facts.js';

/** Where the command writes: the report to `out` (stdout), diagnostics to `err` (stderr). */
export interface CommandOutput {
  out(line: string): void;
  err(line: string): void;
}

/**
 * `npm run doctor -- --stack <name> [--region <r>]` without the process around it (doctor-main.ts):
 * resolves to the exit code, 0 without failures, 1 with, 2 on usage errors.
 */
export async function doctorCommand(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  output: CommandOutput,
): Promise<number> {
  let args: DoctorArgs | undefined;
  try {
    args = parseDoctorArgs(argv);
    const { facts, results } = await runDoctor({
      stack: args.stack,
      region: args.region,
      timeoutMs: args.timeoutMs,
      dockerHub: dockerHubFromEnv(env),
    });
    const title = facts.source === 'env0' ? `${args.stack} (env0 pull mode)` : args.stack;
    for (const line of formatReport(title, results)) output.out(line);
    return results.some((r) => r.status === 'fail') ? 1 : 0;
  } catch (error) {
    if (error instanceof UsageError || error instanceof StackNotFoundError) {
      output.err(`doctor: ${error.message}`);
      if (error instanceof UsageError) output.err(USAGE);
      return 2;
    }
    if (/Region is missing/i.test((error as Error).message ?? '')) {
      output.err('doctor: no AWS Region: pass --region <region> or set AWS_REGION / a profile Region');
      return 2;
    }
    const line = awsFailure(
      'stack',
      `read stack ${args?.stack ?? ''}`,
      error,
      'cloudformation:DescribeStacks',
      args?.timeoutMs ?? 0,
    );
    output.err(`doctor: ${line.detail}`);
    output.err(`fix: ${line.fix}`);
    return 1;
  }
}
