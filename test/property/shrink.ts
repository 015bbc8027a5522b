/**
 * Shrinks a failing schedule to a smaller one that still fails: fewer deliveries, keys, faults, no
 * configuration change, shorter scripts. Schedules run in (scaled) real time, so a candidate is
 * kept when one of two runs fails; the search stops at the time budget.
 */
import { explain, type Outcome, runSchedule, type Schedule } from './schedule.js';

function candidates(s: Schedule): Schedule[] {
  const out: Schedule[] = [];
  if (s.from !== s.to) {
    out.push({ ...s, to: s.from === 'legacy-ecs' ? 'single-ecs' : s.from });
    out.push({ ...s, from: s.to });
  }
  for (let k = s.keys - 1; k >= 1; k--) {
    out.push({ ...s, keys: k, deliveries: s.deliveries.filter((d) => d.key < k) });
  }
  const arrays = ['ecsA', 'ecsB', 'acaStarts', 'acaLists', 'acaTemplates', 'ledger'] as const;
  for (const name of arrays) {
    const list = s[name] as readonly unknown[];
    if (list.length === 0) continue;
    out.push({ ...s, [name]: [] });
    out.push({ ...s, [name]: list.slice(0, Math.floor(list.length / 2)) });
    out.push({ ...s, [name]: list.slice(0, -1) });
  }
  for (const [i, d] of s.deliveries.entries()) {
    if (s.deliveries.filter((x) => x.key === d.key).length <= 1) continue;
    out.push({ ...s, deliveries: s.deliveries.filter((_, j) => j !== i) });
  }
  if (s.regionADown) out.push({ ...s, regionADown: false });
  if (s.regionBDown) out.push({ ...s, regionBDown: false });
  if (s.acaBackground > 0) out.push({ ...s, acaBackground: 0 });
  if (s.ledgerKind === 'dynamo') out.push({ ...s, ledgerKind: 'memory' });
  return out;
}

async function fails(schedule: Schedule): Promise<Outcome | undefined> {
  for (let n = 0; n < 2; n++) {
    const outcome = await runSchedule(schedule);
    if (outcome.violations.length > 0) return outcome;
  }
  return undefined;
}

/** The smallest failing schedule found within `budgetMs`, with its outcome; undefined if it passed. */
export async function shrinkSchedule(
  schedule: Schedule,
  budgetMs: number,
): Promise<{ schedule: Schedule; outcome: Outcome; steps: number } | undefined> {
  const end = Date.now() + budgetMs;
  let outcome = await fails(schedule);
  if (outcome === undefined) return undefined;
  let current = schedule;
  let steps = 0;
  let progress = true;
  while (progress && Date.now() < end) {
    progress = false;
    for (const candidate of candidates(current)) {
      if (Date.now() >= end) break;
      const result = await fails(candidate);
      if (result !== undefined) {
        current = candidate;
        outcome = result;
        steps++;
        progress = true;
        break;
      }
    }
  }
  return { schedule: current, outcome, steps };
}

export { explain };
