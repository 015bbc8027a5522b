import { parseByAction } from './by-action.js';

/** Fargate's allowed task sizes: cpu units -> allowed memory (MiB). Shared by the stack and the Lambda. */
export const FARGATE_TASK_SIZES: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
};

function range(from: number, to: number, step: number): number[] {
  const values: number[] = [];
  for (let value = from; value <= to; value += step) values.push(value);
  return values;
}

/** A task size: Fargate cpu units and memory (MiB). */
export interface TaskSize {
  readonly cpu: number;
  readonly memoryMiB: number;
}

/** Why a size is not a Fargate combination, or undefined when it is. */
export function fargateSizeProblem(size: TaskSize): string | undefined {
  const allowed = FARGATE_TASK_SIZES[size.cpu];
  if (allowed === undefined)
    return `cpu ${size.cpu} is not a Fargate size (one of ${Object.keys(FARGATE_TASK_SIZES).join(', ')})`;
  if (!allowed.includes(size.memoryMiB)) {
    return `memory ${size.memoryMiB} MiB is not allowed with cpu ${size.cpu} (one of ${allowed.join(', ')})`;
  }
  return undefined;
}

const SIZE = /^(\d{3,5})\/(\d{3,6})$/;

/**
 * Parses `plan=1024/2048,policy.check=512/1024` (Scalr action = cpu units / memory MiB) into a map;
 * throws an Error naming the bad entry. Empty text is no per-action sizing.
 */
export function parseSizeByAction(text: string): ReadonlyMap<string, TaskSize> {
  return parseByAction(text, '<cpu>/<memoryMiB>, e.g. plan=1024/2048', (value) => {
    const match = SIZE.exec(value);
    if (match === null) return undefined;
    const size = { cpu: Number(match[1]), memoryMiB: Number(match[2]) };
    const problem = fargateSizeProblem(size);
    if (problem !== undefined) throw new Error(problem);
    return size;
  });
}
