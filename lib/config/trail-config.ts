import { CONTEXT_DEFAULTS } from './context-defaults.js';
import type { ContextReader } from './context-reader.js';

/** What the stack keeps about launches and tasks, and when a task that does not start is reported. */
export interface TrailConfig {
  /**
   * How long a launch ledger record is kept (`LEDGER_TTL_SECONDS`, DynamoDB TTL); used when the stack
   * has a ledger (aca, Spot then on-demand, failover).
   */
  readonly ledgerTtlSeconds: number;
  /** How long a task trail is kept after its last step (`GET /tasks/{taskId}`), in days (7-365). */
  readonly taskTrailDays: number;
  /** Minutes after which an accepted task that is not RUNNING raises the NotRunning alarm (ECS). */
  readonly notRunningAlarmMinutes: number;
}

/** `ledgerTtlSeconds` (or `dedupTtlSeconds`), `taskTrailDays` and `notRunningAlarmMinutes`. */
export function readTrail(context: ContextReader): TrailConfig {
  return {
    ledgerTtlSeconds: readLedgerTtl(context),
    taskTrailDays: context.integer('taskTrailDays', 7, 365),
    notRunningAlarmMinutes: context.integer('notRunningAlarmMinutes', 2, 1440),
  };
}

/**
 * `ledgerTtlSeconds`, or its former name `dedupTtlSeconds`. cdk.json always carries the new key, so the
 * former name applies while the new one keeps its default; two different non-default values are refused
 * rather than one silently ignored.
 */
function readLedgerTtl(context: ContextReader): number {
  // The dispatcher refuses less than 24 hours: Scalr may re-deliver a webhook that long after.
  const [min, max] = [86_400, 366 * 86_400];
  const current = context.integer('ledgerTtlSeconds', min, max);
  if (context.given('dedupTtlSeconds') === undefined) return current;
  const former = context.integer('dedupTtlSeconds', min, max);
  if (current === CONTEXT_DEFAULTS.ledgerTtlSeconds || current === former) return former;
  context.problem(
    `dedupTtlSeconds is ${former} and ledgerTtlSeconds is ${current}: dedupTtlSeconds is the former name of ledgerTtlSeconds; set only ledgerTtlSeconds`,
  );
  return current;
}
