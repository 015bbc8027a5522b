/** `npm run doctor -- --stack <name> [--region <r>] [--timeout-ms <n>]`. */
export interface DoctorArgs {
  readonly stack: string;
  readonly region: string | undefined;
  /** Limit of every single call (AWS, the webhook, the registry). */
  readonly timeoutMs: number;
}

export class UsageError extends Error {}

export function parseDoctorArgs(argv: readonly string[]): DoctorArgs {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] ?? '';
    if (!['--stack', '--region', '--timeout-ms'].includes(flag)) {
      throw new UsageError(`unknown argument "${flag.slice(0, 40)}"`);
    }
    const value = argv[++i];
    if (value === undefined || value.startsWith('--')) throw new UsageError(`${flag} needs a value`);
    values.set(flag, value);
  }
  const stack = values.get('--stack');
  if (!stack) throw new UsageError('--stack <name> is required (the CloudFormation stack of the pool)');
  const timeout = Number(values.get('--timeout-ms') ?? 10_000);
  if (!Number.isInteger(timeout) || timeout < 100 || timeout > 120_000) {
    throw new UsageError('--timeout-ms must be a whole number from 100 to 120000');
  }
  return { stack, region: values.get('--region'), timeoutMs: timeout };
}

export const USAGE = 'usage: npm run doctor -- --stack <stack name> [--region <region>] [--timeout-ms <ms>]';
