import { describe, expect, it } from 'vitest';
import { percentile, summarizeLatency } from '../../../local/trigger/latency.js';

describe('latency summary', () => {
  it('uses nearest-rank percentiles', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);

    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 95)).toBe(95);
    expect(percentile([7], 95)).toBe(7);
  });

  it('sorts before summarizing and reports the max', () => {
    expect(summarizeLatency([30, 10, 20, 40])).toEqual({ p50: 20, p95: 40, max: 40 });
  });

  it('has no summary for no values', () => {
    expect(summarizeLatency([])).toBeUndefined();
  });
});
