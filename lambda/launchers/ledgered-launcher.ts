// About 370 lines: claim, resolution of what earlier holders left pending and the walk over the legs
// share one lease and one record; split apart, each piece would need the others' invariants restated.
import { randomUUID } from 'node:crypto';
import { ConfigError, IdempotencyKeyReusedError, TemporarilyUnavailableError } from '../errors.js';
import type { LaunchLedger, LedgerAttempt, LedgerRecord } from '../ledger/launch-ledger.js';
import type { Logger } from '../log/logger.js';
import {
  type AttemptOutcome,
  accepted,
  ambiguous,
  errorOf,
  forbidden,
  type LaunchLeg,
  type LaunchOutcome,
  type OutcomeLauncher,
  refused,
  resultOf,
} from './launch-outcome.js';
import { type LaunchRequest, type LaunchResult, taskFingerprint } from './launcher.js';

export interface LedgeredLauncherOptions {
  readonly retryAfterSeconds: number;
  readonly logger: Logger;
  /** Longest wait for one ledger call; it is also bounded by the request's deadline. */
  readonly ledgerCallMs?: number;
  /** A claim's lease outlives the request's deadline by this much. */
  readonly leaseMarginMs?: number;
  /** Time kept after the legs' share for the ledger writes that follow (at most a tenth of the time left). */
  readonly bookkeepingReserveMs?: number;
  readonly now?: () => number;
  readonly newOwner?: () => string;
}

/** Raised inside `launch` to stop and answer 503 while keeping the claim for the next delivery. */
class KeepClaim extends Error {
  constructor(readonly answer: TemporarilyUnavailableError) {
    super(answer.message);
  }
}

/**
 * Launches through an ordered list of legs (Spot then on-demand, a second Region, ACA) with a
 * strongly consistent launch ledger deciding whether a key already launched:
 *
 * 1. claim the key (a conditional write with a lease); a launched key answers its recorded launch;
 * 2. resolve what earlier holders left `pending` — an idempotent leg by repeating the attempt with
 *    the same token, any other by listing the platform, every page, once `settleMs` has passed;
 * 3. then try the legs in order, writing each attempt before it is sent; a platform's refusal moves
 *    on, a policy refusal (a reused key) ends the launch, an accepted launch is recorded, and an
 *    attempt that may have started an agent stops everything: the outcome is `ambiguous` (answered
 *    503 + `Retry-After`) and the claim stays for the next delivery to resolve.
 *
 * No listing that is empty, lagging or failed is ever taken as proof that nothing started.
 */
export class LedgeredLauncher implements OutcomeLauncher {
  readonly platform: string;
  private readonly now: () => number;
  private readonly newOwner: () => string;
  private readonly byName: ReadonlyMap<string, LaunchLeg>;

  constructor(
    private readonly legs: readonly LaunchLeg[],
    private readonly ledger: LaunchLedger,
    private readonly options: LedgeredLauncherOptions,
  ) {
    const first = legs[0];
    if (first === undefined) throw new ConfigError('A launcher needs at least one launch target.');
    this.platform = first.platform;
    this.now = options.now ?? Date.now;
    this.newOwner = options.newOwner ?? randomUUID;
    this.byName = new Map(legs.map((leg) => [leg.name, leg]));
  }

  async launch(request: LaunchRequest): Promise<LaunchResult> {
    return resultOf(await this.tryLaunch(request), this.options.retryAfterSeconds);
  }

  /**
   * The launch as a typed outcome: `ambiguous` whenever the claim is kept because an agent may have
   * started (or another delivery holds the key), `refused` when nothing was left pending.
   */
  async tryLaunch(request: LaunchRequest): Promise<LaunchOutcome> {
    try {
      return accepted(await this.claimAndLaunch(request));
    } catch (error) {
      if (error instanceof KeptClaim) return ambiguous(error.answer);
      if (error instanceof IdempotencyKeyReusedError) return forbidden(error);
      return refused(errorOf(error));
    }
  }

  private async claimAndLaunch(request: LaunchRequest): Promise<LaunchResult> {
    const owner = this.newOwner();
    const leaseUntil = request.deadline + (this.options.leaseMarginMs ?? 5_000);
    const claim = await this.ledger.claim(
      request.dedupKey,
      { owner, taskId: taskFingerprint(request), leaseUntil },
      this.signal(request),
    );
    if (claim.kind === 'launched') {
      this.requireSameTask(claim.record, request);
      const launch = claim.record.launch;
      if (launch !== undefined)
        return { ...launch, duplicate: true, details: { ...launch.details, recorded: true } };
    }
    if (claim.kind === 'busy') {
      this.requireSameTask(claim.record, request);
      throw new KeptClaim(
        new TemporarilyUnavailableError(
          'Another delivery with this Idempotency-Key is being launched right now; retry with the same key.',
          Math.max(1, Math.ceil((claim.record.leaseUntil - this.now()) / 1000)),
        ),
      );
    }
    if (claim.record.taskId !== taskFingerprint(request)) {
      // Someone else's key: give the lease back untouched, with its attempts.
      await this.quietly('suspend', () => this.ledger.suspend(request.dedupKey, owner, this.signal(request)));
      this.requireSameTask(claim.record, request);
    }
    try {
      const resolved = await this.resolvePending(request, owner, claim.record.attempts);
      if (resolved !== undefined) return resolved;
      return await this.launchFresh(request, owner, claim.record.attempts.length);
    } catch (error) {
      if (error instanceof KeepClaim) {
        await this.quietly('suspend', () =>
          this.ledger.suspend(request.dedupKey, owner, this.signal(request)),
        );
        throw new KeptClaim(error.answer);
      }
      // Nothing is pending any more (or nothing was sent): any delivery may launch at once.
      await this.quietly('release', () => this.ledger.release(request.dedupKey, owner, this.signal(request)));
      throw error;
    }
  }

  /**
   * Settles what earlier holders left pending; returns the launch it finds. Only the **last** attempt
   * can be unproven: a holder moves to a next attempt only after proving the previous one refused,
   * and stops at the first that may have started an agent. An earlier attempt still `pending` was
   * refused, but its `markRefused` write was lost — repeating it would be a new launch (a Spot
   * attempt refused for capacity could now start a second agent).
   */
  private async resolvePending(
    request: LaunchRequest,
    owner: string,
    attempts: readonly LedgerAttempt[],
  ): Promise<LaunchResult | undefined> {
    const last = attempts.at(-1);
    if (last === undefined || last.state !== 'pending') return undefined;
    const leg = this.byName.get(last.leg);
    if (leg === undefined) {
      throw new KeepClaim(
        this.unavailable(
          `An earlier attempt went to ${last.leg}, which is no longer configured; it cannot be checked.`,
        ),
      );
    }
    // Platform calls end a reserve before the deadline: the ledger writes that follow need time too.
    const work = { ...request, deadline: this.legsEnd(request) };
    const found = leg.idempotent ? await this.repeat(leg, work) : await this.lookUp(leg, work, last);
    if (found !== undefined) {
      await this.record(request, owner, found, leg);
      const launch = this.withLeg(found, leg);
      return { ...launch, duplicate: true, details: { ...launch.details, resolved: true } };
    }
    await this.quietly('mark refused', () =>
      this.ledger.markRefused(request.dedupKey, owner, last.id, this.signal(request)),
    );
    return undefined;
  }

  /** The same attempt again: the platform's token makes it return the earlier launch, if any. */
  private async repeat(leg: LaunchLeg, request: LaunchRequest): Promise<LaunchResult | undefined> {
    const outcome = await attemptSafely(leg, request);
    if (outcome.kind === 'accepted') return outcome.result;
    // The key belongs to another task: nothing may launch for it, on any leg.
    if (outcome.kind === 'refused' && outcome.by === 'policy') throw outcome.error;
    // Only a refusal that went through the token check says the earlier attempt started nothing.
    if (outcome.kind === 'refused' && outcome.tokenChecked) return undefined;
    throw new KeepClaim(this.asUnavailable(outcome.error));
  }

  /** A listing is evidence only once the attempt is older than the listing's lag. */
  private async lookUp(
    leg: LaunchLeg,
    request: LaunchRequest,
    attempt: LedgerAttempt,
  ): Promise<LaunchResult | undefined> {
    const wait = Math.max(attempt.at, attempt.until ?? 0) + leg.settleMs - this.now();
    if (wait > 0) {
      throw new KeepClaim(
        this.unavailable(
          `An earlier start on ${leg.name} may have succeeded; it can be checked in ${Math.ceil(wait / 1000)} s. Retry with the same Idempotency-Key.`,
          Math.ceil(wait / 1000),
        ),
      );
    }
    if (leg.find === undefined) {
      throw new KeepClaim(this.unavailable(`${leg.name} cannot look up earlier launches.`));
    }
    try {
      return await leg.find(request, this.signal(request, request.deadline - this.now()));
    } catch (error) {
      throw new KeepClaim(
        this.unavailable(
          `Could not check whether an earlier start on ${leg.name} succeeded (${nameOf(error)}). Retry with the same Idempotency-Key.`,
        ),
      );
    }
  }

  private async launchFresh(
    request: LaunchRequest,
    owner: string,
    attemptsSoFar: number,
  ): Promise<LaunchResult> {
    const failures: { leg: string; error: Error }[] = [];
    // Time kept after the legs for the ledger writes that follow them (record, mark, suspend).
    const legsEnd = this.legsEnd(request);
    const legs = this.legs.filter((leg) => leg.serves?.(request) ?? true);
    for (const [index, leg] of legs.entries()) {
      const left = legsEnd - this.now();
      const isLast = index === legs.length - 1;
      // Whole milliseconds: the deadline ends up in AbortSignal.timeout, which rejects fractions.
      const deadline = isLast ? legsEnd : this.now() + Math.floor(left / (legs.length - index));
      const attempt: LedgerAttempt = {
        id: String(attemptsSoFar + index + 1),
        leg: leg.name,
        state: 'pending',
        at: this.now(),
        until: deadline,
      };
      // Written before the call goes out: whoever holds the key next knows what may have started.
      const written = await this.ledger.addAttempt(request.dedupKey, owner, attempt, this.signal(request));
      if (!written) throw new KeepClaim(this.unavailable('The claim on this key was taken over.'));
      const outcome = await attemptSafely(leg, { ...request, deadline });
      if (outcome.kind === 'accepted') {
        await this.record(request, owner, outcome.result, leg);
        return this.withLeg(outcome.result, leg);
      }
      if (outcome.kind === 'ambiguous') {
        this.options.logger.warn('launch may have started; keeping the key claimed', {
          leg: leg.name,
          reason: outcome.error.message.slice(0, 300),
        });
        if (!leg.idempotent) {
          // The attempt is over: nothing more goes out, so the settle time may start now rather than
          // at its deadline. If this write fails, the deadline stays: later, never earlier.
          const ended = { ...attempt, until: this.now() };
          await this.quietly('end the attempt', () =>
            this.ledger.addAttempt(request.dedupKey, owner, ended, this.signal(request)),
          );
        }
        const settle = leg.idempotent ? undefined : Math.max(1, Math.ceil(leg.settleMs / 1000));
        throw new KeepClaim(this.asUnavailable(outcome.error, settle));
      }
      failures.push({ leg: leg.name, error: outcome.error });
      await this.quietly('mark refused', () =>
        this.ledger.markRefused(request.dedupKey, owner, attempt.id, this.signal(request)),
      );
      // A policy refusal (a key reused for another task) ends the launch: no other leg may take it.
      if (outcome.by === 'policy') throw outcome.error;
      const next = legs[index + 1];
      if (next !== undefined) {
        this.options.logger.warn('launch target failed; trying the next one', {
          leg: leg.name,
          next: next.name,
          reason: outcome.error.message.slice(0, 300),
        });
      }
    }
    throw this.summarise(failures);
  }

  /** When platform calls must end: a reserve (up to 250 ms, a tenth of the time left) is kept for the ledger. */
  private legsEnd(request: LaunchRequest): number {
    const left = request.deadline - this.now();
    return request.deadline - Math.min(this.options.bookkeepingReserveMs ?? 250, Math.floor(left / 10));
  }

  /** The launch happened: record it. A failed write must not turn it into a non-2xx answer. */
  private async record(
    request: LaunchRequest,
    owner: string,
    result: LaunchResult,
    leg: LaunchLeg,
  ): Promise<void> {
    const launch = this.withLeg(result, leg);
    await this.quietly('record the launch', async () => {
      const recorded = await this.ledger.complete(request.dedupKey, owner, launch, this.signal(request));
      if (!recorded) this.options.logger.warn('the claim was taken over before the launch was recorded');
    });
  }

  /** `failedOver`: another target than the primary took it (Spot → on-demand is one target). */
  private withLeg(result: LaunchResult, leg: LaunchLeg): LaunchResult {
    const failedOver = leg.target !== this.legs[0]?.target;
    return { ...result, details: { ...result.details, target: leg.target, failedOver } };
  }

  private requireSameTask(record: LedgerRecord, request: LaunchRequest): void {
    if (record.taskId !== '' && record.taskId !== taskFingerprint(request)) {
      this.options.logger.warn('Idempotency-Key reused for another task', {
        firstTaskId: record.taskId,
        taskId: request.taskId,
      });
      throw new IdempotencyKeyReusedError();
    }
  }

  private summarise(failures: readonly { leg: string; error: Error }[]): Error {
    const summary = failures.map(({ leg, error }) => `${leg}: ${error.message.slice(0, 300)}`).join(' | ');
    if (failures.length > 0 && failures.every(({ error }) => error instanceof ConfigError)) {
      return new ConfigError(`No launch target accepted the launch. ${summary}`);
    }
    const retryAfter = failures
      .map(({ error }) => (error instanceof TemporarilyUnavailableError ? error.retryAfterSeconds : 0))
      .reduce((a, b) => Math.max(a, b), this.options.retryAfterSeconds);
    return new TemporarilyUnavailableError(
      `No launch target accepted the launch in time. ${summary}`,
      retryAfter,
      {
        cause: failures.at(-1)?.error,
      },
    );
  }

  private asUnavailable(error: Error, retryAfterSeconds?: number): TemporarilyUnavailableError {
    if (error instanceof TemporarilyUnavailableError && retryAfterSeconds === undefined) return error;
    return new TemporarilyUnavailableError(
      `The launch may have started but was not confirmed (${error.message.slice(0, 300)}); nothing more was launched. Retry with the same Idempotency-Key.`,
      retryAfterSeconds ?? this.options.retryAfterSeconds,
      { cause: error },
    );
  }

  private unavailable(message: string, retryAfterSeconds?: number): TemporarilyUnavailableError {
    return new TemporarilyUnavailableError(message, retryAfterSeconds ?? this.options.retryAfterSeconds);
  }

  /** A ledger call's signal: its own limit, never past the request's deadline. */
  private signal(request: LaunchRequest, limitMs = this.options.ledgerCallMs ?? 2_000): AbortSignal {
    const left = request.deadline - this.now();
    return AbortSignal.timeout(Math.max(1, Math.floor(Math.min(limitMs, left))));
  }

  private async quietly(what: string, call: () => Promise<unknown>): Promise<void> {
    try {
      await call();
    } catch (error) {
      // The record stays conservative (claimed, attempt pending); the next delivery resolves it.
      this.options.logger.warn(`launch ledger: could not ${what}`, { cause: nameOf(error) });
    }
  }
}

/** The claim was kept because an agent may have started: the launch's outcome is ambiguous. */
class KeptClaim extends Error {
  constructor(readonly answer: TemporarilyUnavailableError) {
    super(answer.message);
  }
}

/** A leg that throws (a bug) is treated as one that may have launched: the claim is kept. */
async function attemptSafely(leg: LaunchLeg, request: LaunchRequest): Promise<AttemptOutcome> {
  try {
    return await leg.attempt(request);
  } catch (error) {
    return ambiguous(errorOf(error));
  }
}

function nameOf(error: unknown): string {
  return (error as { name?: string } | undefined)?.name ?? 'error';
}
