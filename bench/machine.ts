import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';

/** One line naming the machine the figures were taken on; load averages say how busy it was. */
export function machineLine(when: 'start' | 'end'): string {
  const [one, five] = loadavg().map((value) => value.toFixed(2));
  if (when === 'end') return `machine load at the end: ${one} (1 min), ${five} (5 min)`;
  const model = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const memory = (totalmem() / 2 ** 30).toFixed(0);
  return `machine: ${availableParallelism()} cores (${model}), ${memory} GiB, node ${process.version}, load ${one} (1 min), ${five} (5 min)`;
}
