import { ConfigError, TemporarilyUnavailableError } from '../../errors.js';
import type { Logger } from '../../log/logger.js';
import { canFindLaunches, isLaunchRuledOut } from '../launch-evidence.js';
import type { Launcher, LaunchRequest, LaunchResult } from '../launcher.js';

/** One launch target in failover order. */
export interface FailoverTarget {
  /** Shown in answers and logs as `target`: `ecs`, `ecs:SECONDARY`, `aca`, ... */
  readonly name: string;
  readonly launcher: Launcher;
}

export interface FailoverLauncherOptions {
  readonly retryAfterSeconds: number;
  readonly logger: Logger;
  /** Longest wait for one "did this target already launch the key?" lookup. */
  readonly lookupTimeoutMs?: number;
  readonly now?: () => number;
}

/** What is known after one target failed: move on, answer with an earlier launch, or stop. */
type Verdict = { kind: 'next'; proof: string } | { kind: 'found'; result: LaunchResult } | { kind: 'stop' };

/**
 * Tries launch targets in order (e.g. Fargate Spot, Fargate, a cluster in another Region) until one
 * accepts. Each target but the last gets an equal share of the time left, so a target that cannot
 * launch (no capacity, Region errors, access denied) leaves time for the next one.
 *
 * Exactly-once across targets rests on two rules:
 * - it moves past a target only when the target lists no task for the key afterwards, or, when the
 *   target cannot be asked, every attempt of this call was refused outright. Otherwise (a timed-out
 *   call and a failed lookup) it answers 503 and Scalr re-delivers;
 * - before launching on an earlier target it asks the later targets whether an earlier delivery was
 *   already launched there (a re-delivery after a failover must not launch on the primary again).
 */
export class FailoverLauncher implements Launcher {
  readonly platform: string;
  private readonly now: () => number;
  private readonly lookupTimeoutMs: number;

  constructor(
    private readonly targets: readonly FailoverTarget[],
    private readonly options: FailoverLauncherOptions,
  ) {
    const first = targets[0];
    if (first === undefined) throw new ConfigError('FailoverLauncher needs at least one target.');
    this.platform = first.launcher.platform;
    this.now = options.now ?? Date.now;
    this.lookupTimeoutMs = options.lookupTimeoutMs ?? 1_500;
  }

  async launch(request: LaunchRequest): Promise<LaunchResult> {
    const earlier = await this.findOnLaterTargets(request);
    if (earlier !== undefined) return earlier;

    const failures: { target: string; error: unknown }[] = [];
    for (const [index, target] of this.targets.entries()) {
      const left = request.deadline - this.now();
      const isLast = index === this.targets.length - 1;
      // Whole milliseconds: the deadline ends up in AbortSignal.timeout, which rejects fractions.
      const deadline = isLast
        ? request.deadline
        : this.now() + Math.floor(left / (this.targets.length - index));
      try {
        const result = await target.launcher.launch({ ...request, deadline });
        return this.withTarget(result, target.name, index);
      } catch (error) {
        failures.push({ target: target.name, error });
        if (isLast) break;
        const verdict = await this.judge(target, request, error);
        if (verdict.kind === 'found') return this.withTarget(verdict.result, target.name, index);
        if (verdict.kind === 'stop') break;
        this.options.logger.warn('launch target failed; trying the next one', {
          target: target.name,
          next: this.targets[index + 1]?.name,
          reason: messageOf(error),
          proof: verdict.proof,
        });
      }
    }
    throw this.summarise(failures);
  }

  /**
   * Decides whether the next target may launch after `target` failed. This call's own attempts
   * being refused is not enough: another delivery of the key (another container, or an earlier one
   * whose answer was lost) may have launched it there, so the target is asked first. Only when it
   * cannot be asked (Region unreachable, access denied) do refused attempts suffice.
   */
  private async judge(target: FailoverTarget, request: LaunchRequest, error: unknown): Promise<Verdict> {
    const refused = isLaunchRuledOut(error);
    if (!canFindLaunches(target.launcher)) {
      return refused ? { kind: 'next', proof: 'every attempt was refused' } : { kind: 'stop' };
    }
    try {
      const found = await target.launcher.findLaunch(request, AbortSignal.timeout(this.lookupTimeoutMs));
      return found === undefined
        ? { kind: 'next', proof: 'no task listed for the key' }
        : { kind: 'found', result: found };
    } catch (lookupError) {
      const lookup = (lookupError as { name?: string }).name ?? 'error';
      if (refused) return { kind: 'next', proof: `every attempt was refused; lookup failed (${lookup})` };
      this.options.logger.warn('not failing over: cannot confirm the target launched nothing', {
        target: target.name,
        reason: messageOf(error),
        lookup,
      });
      return { kind: 'stop' };
    }
  }

  /** An earlier delivery of this key may have failed over: its task must be found, not launched again. */
  private async findOnLaterTargets(request: LaunchRequest): Promise<LaunchResult | undefined> {
    const lookups = this.targets.slice(1).map(async (target, offset) => {
      if (!canFindLaunches(target.launcher)) return undefined;
      try {
        const found = await target.launcher.findLaunch(request, AbortSignal.timeout(this.lookupTimeoutMs));
        return found && this.withTarget(found, target.name, offset + 1);
      } catch (error) {
        // An unreachable secondary is the normal case of a Region outage; the primary still decides.
        this.options.logger.debug('lookup on a failover target failed', {
          target: target.name,
          cause: (error as { name?: string }).name,
        });
        return undefined;
      }
    });
    return (await Promise.all(lookups)).find((found) => found !== undefined);
  }

  private withTarget(result: LaunchResult, target: string, index: number): LaunchResult {
    return { ...result, details: { ...result.details, target, failedOver: index > 0 } };
  }

  private summarise(failures: readonly { target: string; error: unknown }[]): Error {
    const summary = failures.map(({ target, error }) => `${target}: ${messageOf(error)}`).join(' | ');
    if (failures.length > 0 && failures.every(({ error }) => error instanceof ConfigError)) {
      return new ConfigError(`No launch target accepted the launch. ${summary}`);
    }
    return new TemporarilyUnavailableError(
      `No launch target accepted the launch in time. ${summary}`,
      this.options.retryAfterSeconds,
      { cause: failures.at(-1)?.error },
    );
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message.slice(0, 400) : String(error);
}
