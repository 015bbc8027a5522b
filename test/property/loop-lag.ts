/**
 * How late this process's timers ran, over time: on a shared, loaded machine a schedule's answer
 * may be late only because the event loop was busy with other schedules (or other processes had the
 * cores). The deadline check forgives exactly the lag observed while the request was open; a
 * launcher that waits for a hang or ignores its deadline is still late by far more.
 */
const TICK_MS = 5;

export class LoopLag {
  private readonly samples: { at: number; lag: number }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private expected = 0;

  start(): void {
    this.expected = Date.now() + TICK_MS;
    this.timer = setInterval(() => {
      const now = Date.now();
      this.samples.push({ at: now, lag: Math.max(0, now - this.expected) });
      this.expected = now + TICK_MS;
      if (this.samples.length > 100_000) this.samples.splice(0, 50_000);
    }, TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /**
   * The sum of timer lateness observed between `from` and `to` (ms since epoch). A sample counts
   * when it was due by `to`, even if it ran after it: after a stall the timers that were due run in
   * a burst, and the answers' own continuations may run before the monitor's tick records the stall.
   */
  between(from: number, to: number): number {
    let total = 0;
    for (let i = this.samples.length - 1; i >= 0; i--) {
      const sample = this.samples[i];
      if (sample === undefined || sample.at < from) break;
      if (sample.at - sample.lag <= to + TICK_MS) total += sample.lag;
    }
    return total;
  }
}

/** The process-wide monitor (started by the property test). */
export const loopLag = new LoopLag();
