import { parseCapacityByAction } from '../../lambda/launchers/ecs/ecs-config.js';
import type { ContextReader } from './context-reader.js';

export const ECS_CAPACITIES = ['FARGATE', 'FARGATE_SPOT', 'FARGATE_SPOT_THEN_FARGATE'] as const;
export type EcsCapacity = (typeof ECS_CAPACITIES)[number];

/** The dispatcher's per-process token bucket in front of RunTask (docs/reliability.md, "Pacing"). */
export interface PacingConfig {
  /** Launches per second; 0 turns pacing off. */
  readonly ratePerSecond: number;
  readonly burst: number;
}

/** Where and how fast Fargate tasks are started (`target=ecs`). */
export interface CapacityConfig {
  readonly capacity: EcsCapacity;
  /** Capacity per Scalr action (`plan=FARGATE_SPOT_THEN_FARGATE,apply=FARGATE`); empty = `capacity` for all. */
  readonly capacityByAction: string;
  /** `LAUNCH_RATE_PER_SECOND` / `LAUNCH_BURST` of the dispatcher's launch pacer. */
  readonly pacing: PacingConfig;
}

/** `capacity`, `capacityByAction` (checked with the dispatcher's own parser), `launchRatePerSecond`, `launchBurst`. */
export function readCapacity(context: ContextReader): CapacityConfig {
  return {
    capacity: context.oneOf('capacity', ECS_CAPACITIES),
    capacityByAction: context.parsedBy('capacityByAction', parseCapacityByAction),
    pacing: {
      ratePerSecond: context.integer('launchRatePerSecond', 0, 1000),
      burst: context.integer('launchBurst', 1, 10_000),
    },
  };
}
