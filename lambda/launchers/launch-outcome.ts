import type { LaunchRequest, LaunchResult } from './launcher.js';

/**
 * What one launch attempt on one leg proved. `refused` means the platform cannot have started an
 * agent for it (a 4xx, a `failures` answer, a call never sent, or a repeated idempotency token that
 * was refused); `ambiguous` means it may have (a timeout, a lost answer, a 5xx).
 */
export type AttemptOutcome =
  | { readonly kind: 'accepted'; readonly result: LaunchResult }
  | {
      readonly kind: 'refused';
      readonly error: Error;
      /**
       * The platform checked the leg's idempotency token and still started nothing, which proves no
       * earlier attempt with that token started an agent either (an ECS `failures` answer). A
       * throttled or denied call proves only that this call started nothing.
       */
      readonly tokenChecked: boolean;
    }
  | { readonly kind: 'ambiguous'; readonly error: Error };

export const accepted = (result: LaunchResult): AttemptOutcome => ({ kind: 'accepted', result });
export const refused = (error: Error, tokenChecked = false): AttemptOutcome => ({
  kind: 'refused',
  error,
  tokenChecked,
});
export const ambiguous = (error: Error): AttemptOutcome => ({ kind: 'ambiguous', error });

/**
 * One way to start an agent: a target and, for ECS, a capacity provider (`ecs/FARGATE_SPOT`,
 * `ecs:SECONDARY/FARGATE`, `aca`). A launcher tries its legs in order.
 */
export interface LaunchLeg {
  /** Stable name, recorded in the launch ledger; a re-delivery resolves an attempt by it. */
  readonly name: string;
  /** The target it belongs to (`ecs`, `ecs:SECONDARY`, `aca`), shown in answers as `target`. */
  readonly target: string;
  readonly platform: string;
  /**
   * True when sending the same attempt again can never start a second agent (ECS `clientToken`,
   * a Docker container name): an ambiguous attempt is then resolved by repeating it.
   */
  readonly idempotent: boolean;
  /** How long after an ambiguous attempt its listing can be trusted (non-idempotent legs). */
  readonly settleMs: number;
  /** Whether this leg takes the request at all (e.g. Spot only for plans); default: every request. */
  serves?(request: LaunchRequest): boolean;
  /** One launch, retried inside `request.deadline` where retrying is safe. Never throws. */
  attempt(request: LaunchRequest): Promise<AttemptOutcome>;
  /**
   * The launch an earlier attempt of this key started, reading every page; undefined when there is
   * none; throws when it cannot tell. Required for non-idempotent legs.
   */
  find?(request: LaunchRequest, signal: AbortSignal): Promise<LaunchResult | undefined>;
}

export function errorOf(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
