/** One line of the doctor's report. */
export interface CheckResult {
  readonly name: string;
  readonly status: 'ok' | 'warn' | 'fail' | 'skipped';
  readonly detail: string;
  /** What to do, when the status is not ok. */
  readonly fix?: string;
}

/** What every check may read: the stack's outputs and the dispatcher function's environment. */
export interface StackFacts {
  readonly stackName: string;
  readonly region: string;
  readonly outputs: Readonly<Record<string, string>>;
  /** The dispatcher function's environment variables (no secret values: ARNs and settings). */
  readonly functionEnv: Readonly<Record<string, string>>;
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

/** A signal that fires after `ms`: every call a check makes carries one. */
export const within = (ms: number) => AbortSignal.timeout(ms);
