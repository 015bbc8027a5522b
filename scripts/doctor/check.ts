/** One line of the doctor's report. */
export interface CheckResult {
  readonly name: string;
  readonly status: 'ok' | 'warn' | 'fail' | 'skipped';
  readonly detail: string;
  /** What to do, when the status is not ok. */
  readonly fix?: string;
}

/** What every check may read: the stack's outputs and the dispatcher function's settings. */
export interface StackFacts {
  readonly stackName: string;
  /**
   * Which pool the stack is: `scalr` (webhook dispatcher) or `env0` (pull-mode poller), told by its
   * function's settings (`QUEUE_STATE_URL`) or, without them, its outputs.
   */
  readonly source: 'scalr' | 'env0';
  readonly region: string;
  readonly outputs: Readonly<Record<string, string>>;
  /** The dispatcher (or env0 poller) function's name, when it was found. */
  readonly functionName?: string;
  /** The dispatcher function's environment variables (no secret values: ARNs and settings). */
  readonly functionEnv: Readonly<Record<string, string>>;
  /** The dispatcher function's own subnets when it runs in a VPC (it then needs a NAT to reach AWS). */
  readonly functionSubnets: readonly string[];
  /** Why the dispatcher function's settings could not be read; checks that need them say so. */
  readonly functionProblem?: string;
}

export const ok = (name: string, detail: string): CheckResult => ({ name, status: 'ok', detail });
export const warn = (name: string, detail: string, fix?: string): CheckResult => ({
  name,
  status: 'warn',
  detail,
  fix,
});
export const fail = (name: string, detail: string, fix: string): CheckResult => ({
  name,
  status: 'fail',
  detail,
  fix,
});
export const skipped = (name: string, detail: string): CheckResult => ({ name, status: 'skipped', detail });

/** The error's name and message, short, for a report line (AWS errors carry no secrets). */
export function describeError(error: unknown): string {
  const e = error as { name?: string; message?: string };
  return `${e?.name ?? 'Error'}: ${(e?.message ?? String(error)).slice(0, 200)}`;
}

const NO_CREDENTIALS = /CredentialsProviderError|Could not load credentials|ProviderError/;
const REJECTED =
  /ExpiredToken|InvalidClientTokenId|UnrecognizedClient|SignatureDoesNotMatch|InvalidSignature/;
const DENIED = /AccessDenied|UnauthorizedOperation|NotAuthorized|Forbidden/;

/**
 * A failed AWS call as a report line: missing or rejected credentials, a denied permission and a
 * missed deadline each get their own sentence and fix; anything else is shown by name and message.
 */
export function awsFailure(
  name: string,
  what: string,
  error: unknown,
  permission: string,
  timeoutMs: number,
): CheckResult {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const kind = `${e?.name ?? ''} ${e?.message ?? ''}`;
  if (NO_CREDENTIALS.test(kind)) {
    return fail(
      name,
      `cannot ${what}: no AWS credentials found`,
      'sign in first (aws sso login, aws configure, or AWS_PROFILE=<profile>), then run doctor again',
    );
  }
  if (REJECTED.test(e?.name ?? '')) {
    return fail(
      name,
      `cannot ${what}: the credentials were rejected (${e.name})`,
      'refresh your credentials (aws sso login) and run doctor again',
    );
  }
  if (DENIED.test(e?.name ?? '') || e?.$metadata?.httpStatusCode === 403) {
    return fail(name, `cannot ${what}: access denied (${e?.name ?? '403'})`, `allow ${permission}`);
  }
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') {
    return fail(
      name,
      `cannot ${what}: no answer within ${timeoutMs} ms`,
      'check the network and the Region, or raise --timeout-ms',
    );
  }
  return fail(
    name,
    `cannot ${what}: ${describeError(error)}`,
    `check that your credentials allow ${permission}`,
  );
}

/** A signal that fires after `ms`: every call a check makes carries one. */
export const within = (ms: number) => AbortSignal.timeout(ms);
