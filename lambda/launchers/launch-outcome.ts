import { ConfigError, IdempotencyKeyReusedError, TemporarilyUnavailableError } from '../errors.js';
import type { Launcher, LaunchRequest, LaunchResult } from './launcher.js';

/**
 * What one launch attempt on one leg (or one whole launch) proved. `refused` means the platform
 * cannot have started an agent for it (a 4xx, a `failures` answer, a call never sent, or a repeated
 * idempotency token that was refused); `ambiguous` means it may have (a timeout, a lost answer, a
 * 5xx) — whatever class its `error` is: an ambiguous attempt whose retry was then denied carries a
 * configuration error, and is still ambiguous. Callers decide on `kind`, never on the error's class.
 */
export type AttemptOutcome =
  | { readonly kind: 'accepted'; readonly result: LaunchResult }
  | {
      readonly kind: 'refused';
      readonly error: Error;
      /**
       * The platform checked the leg's idempotency token and still started nothing, which proves no
       * earlier attempt with that token started an agent either (an ECS `failures` answer to the
       * first call of an attempt). A throttled or denied call proves only that this call started
       * nothing.
       */
      readonly tokenChecked: boolean;
      /**
       * Who refused. `platform`: this leg could not take the launch (capacity, throttling, a denied
       * call) — another leg may. `policy`: the launch must not happen anywhere (a key reused for
       * another task, 422) — the launch ends here.
       */
      readonly by: 'platform' | 'policy';
    }
  | { readonly kind: 'ambiguous'; readonly error: Error };

/** What a whole launch proved; the same three kinds as one attempt (see {@link AttemptOutcome}). */
export type LaunchOutcome = AttemptOutcome;

export const accepted = (result: LaunchResult): AttemptOutcome => ({ kind: 'accepted', result });
/** The platform refused: nothing started on this leg; another leg may take the launch. */
export const refused = (error: Error, tokenChecked = false): AttemptOutcome => ({
  kind: 'refused',
  error,
  tokenChecked,
  by: 'platform',
});
/** The launch must not happen on any leg (e.g. a key reused for another task). */
export const forbidden = (error: Error): AttemptOutcome => ({
  kind: 'refused',
  error,
  tokenChecked: false,
  by: 'policy',
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

/**
 * A launcher that says what its launch proved as a type. The poller and the dispatcher call
 * {@link launchOutcome}, which uses `tryLaunch` when a launcher has it: an ambiguous launch then
 * reaches them as `ambiguous` even when its error is a configuration error.
 */
export interface OutcomeLauncher extends Launcher {
  /** One launch, as `launch` does it, with what it proved; never throws. */
  tryLaunch(request: LaunchRequest): Promise<LaunchOutcome>;
}

/**
 * What a launch proved. Launchers with `tryLaunch` say it themselves; for the others (Docker, dry run)
 * a reused key is a policy refusal, a configuration error proves nothing started, and any other
 * failure may have started an agent.
 */
export async function launchOutcome(launcher: Launcher, request: LaunchRequest): Promise<LaunchOutcome> {
  const typed = launcher as Partial<OutcomeLauncher>;
  if (typeof typed.tryLaunch === 'function') {
    try {
      return await typed.tryLaunch(request);
    } catch (error) {
      return ambiguous(errorOf(error));
    }
  }
  try {
    return accepted(await launcher.launch(request));
  } catch (error) {
    if (error instanceof IdempotencyKeyReusedError) return forbidden(error);
    return error instanceof ConfigError ? refused(error) : ambiguous(errorOf(error));
  }
}

/**
 * The launch's result, or the error to answer with: a refusal's own error, and for an ambiguous
 * outcome always a 503 (`TemporarilyUnavailableError`), never a configuration error — the sender
 * must retry with the same key, as an agent may have started.
 */
export function resultOf(outcome: LaunchOutcome, retryAfterSeconds: number): LaunchResult {
  if (outcome.kind === 'accepted') return outcome.result;
  if (outcome.kind === 'refused') throw outcome.error;
  throw unconfirmed(outcome.error, retryAfterSeconds);
}

/** An ambiguous outcome's error as the 503 it must be answered with. */
export function unconfirmed(error: Error, retryAfterSeconds: number): TemporarilyUnavailableError {
  if (error instanceof TemporarilyUnavailableError) return error;
  return new TemporarilyUnavailableError(
    `The launch may have started but was not confirmed (${error.message.slice(0, 300)}); nothing more was launched. Retry with the same Idempotency-Key.`,
    retryAfterSeconds,
    { cause: error },
  );
}
