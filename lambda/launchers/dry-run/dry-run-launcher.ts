import type { Logger } from '../../log/logger.js';
import { clientTokenFor, startedByFor } from '../ecs/client-token.js';
import { runTaskInput } from '../ecs/run-task-input.js';
import type { Launcher, LaunchRequest, LaunchResult } from '../launcher.js';
import type { DryRunPlanConfig } from './dry-run-config.js';

/** Environment variable names whose values are never shown, even if a future input carried one. */
const SENSITIVE_NAME = /token|secret|password|credential|key/i;

/**
 * Replaces the values of sensitive-looking `{ name, value }` entries. The RunTask input holds no
 * secret by design (ECS injects the token from the task definition); this keeps it that way in logs.
 */
export function redactPlan(input: unknown): unknown {
  return JSON.parse(JSON.stringify(input), (_key, value: unknown) => {
    const entry = value as { name?: unknown; value?: unknown } | null;
    if (
      entry !== null &&
      typeof entry === 'object' &&
      typeof entry.name === 'string' &&
      typeof entry.value === 'string' &&
      SENSITIVE_NAME.test(entry.name)
    ) {
      return { ...entry, value: '[REDACTED]' };
    }
    return value;
  });
}

export interface DryRunLauncherOptions {
  readonly plan: DryRunPlanConfig;
  readonly logger: Logger;
  /** Keys remembered for duplicate detection; the oldest are forgotten first. */
  readonly maxKeys?: number;
}

/**
 * Plans the ECS launch and logs the exact RunTask input instead of sending it. Answers like a real
 * launch, idempotent per key: the launch id derives from the key, and a repeated key is a duplicate.
 */
export class DryRunLauncher implements Launcher {
  readonly platform = 'dry-run';
  private readonly seen = new Set<string>();

  constructor(private readonly options: DryRunLauncherOptions) {}

  async launch(request: LaunchRequest): Promise<LaunchResult> {
    const { ecs, placeholders } = this.options.plan;
    // Same provider choice as the ECS launcher's first call (Spot first when falling back).
    const provider = ecs.capacity === 'FARGATE' ? 'FARGATE' : 'FARGATE_SPOT';
    const input = runTaskInput(ecs, request, provider, clientTokenFor(request.dedupKey));
    const duplicate = this.seen.has(request.dedupKey);
    this.remember(request.dedupKey);
    const launchId = `dry-run:${startedByFor(request.dedupKey, ecs.source)}`;
    this.options.logger.info('dry run: RunTask not sent', {
      dryRun: true,
      taskId: request.taskId,
      dedupKey: request.dedupKey,
      launchId,
      duplicate,
      placeholders,
      runTaskInput: JSON.stringify(redactPlan(input)),
    });
    return { platform: this.platform, launchId, duplicate, details: { dryRun: true, placeholders } };
  }

  private remember(key: string): void {
    this.seen.delete(key);
    this.seen.add(key);
    const max = this.options.maxKeys ?? 10_000;
    for (const oldest of this.seen) {
      if (this.seen.size <= max) break;
      this.seen.delete(oldest);
    }
  }
}
