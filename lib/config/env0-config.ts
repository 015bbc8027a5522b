import type { ContextReader } from './context-reader.js';
import { COMPLETE_ARN_HINT, SECRET_ARN } from './context-schemas.js';

/** Settings of the env0 pull-mode poller (`source=env0`); each KEDA parameter keeps its KEDA name. */
export interface Env0StackConfig {
  readonly queueStateUrl: string;
  /** Tag of `ghcr.io/env0/deployment-agent`, pinned (X.Y.Z). */
  readonly agentImageTag: string;
  /** Existing secret holding the env0 agent access token; empty = the stack creates one with a placeholder. */
  readonly agentTokenSecretArn: string;
  /** `DEPLOYMENT_LOGS_LOG_LEVEL` of the agent; empty = not set. */
  readonly logLevel: string;
  readonly pollingIntervalSeconds: number;
  readonly minExecutions: number;
  readonly maxExecutions: number;
  readonly targetValue: number;
  readonly activationTargetValue: number;
  readonly replicaTimeoutSeconds: number;
  /** Seconds a running agent still counts as starting (not yet holding a task). */
  readonly agentStartupSeconds: number;
  /** Polls per invocation window: 60 s for intervals up to a minute, else one poll per invocation. */
  readonly scheduleMinutes: number;
}

const VERSION = /^\d+\.\d+\.\d+$/;
const LOG_LEVEL = /^(debug|info|warn|error)$/;

/** Reads the `source=env0` keys; problems go to the reader so one synth lists them all. */
export function readEnv0(context: ContextReader): Env0StackConfig {
  const queueStateUrl = context.string('env0QueueStateUrl', /^https:\/\/[^\s@]+$/, 'an https:// URL');
  const pollingIntervalSeconds = context.integer('pollingInterval', 5, 3600);
  if (pollingIntervalSeconds <= 60 ? 60 % pollingIntervalSeconds !== 0 : pollingIntervalSeconds % 60 !== 0) {
    context.problem(
      `pollingInterval is ${pollingIntervalSeconds}: expected a divisor of 60 (5, 6, 10, 12, 15, 20, 30, 60) or a whole number of minutes (120, 180, ...): EventBridge Scheduler fires once a minute at most`,
    );
  }
  const minExecutions = context.integer('minExecutions', 0, 1000);
  const maxExecutions = context.integer('maxExecutions', 1, 1000);
  if (minExecutions > maxExecutions) {
    context.problem(`minExecutions is ${minExecutions}: expected at most maxExecutions (${maxExecutions})`);
  }
  // ECS starts one task per agent and never restarts it: env0 re-queues a failed task and the next
  // poll starts a fresh agent for it. ACA sets both on the job itself (docs/env0.md).
  const retries = context.integer('replicaRetryLimit', 0, 100);
  if (retries !== 0) {
    context.problem(
      `replicaRetryLimit is ${retries}: expected 0; a failed agent is not restarted, env0 queues its task again and the next poll starts a new agent`,
    );
  }
  const parallelism = context.integer('parallelism', 1, 100);
  if (parallelism !== 1) {
    context.problem(`parallelism is ${parallelism}: expected 1; each agent runs one task in one container`);
  }
  const agentTokenSecretArn = context.string(
    'env0AgentTokenSecretArn',
    SECRET_ARN,
    `${COMPLETE_ARN_HINT} of a Secrets Manager secret, or empty to create the secret`,
  );
  if (context.peek('target') === 'aca' && agentTokenSecretArn === '') {
    context.problem(
      'env0AgentTokenSecretArn is empty: source=env0 with target=aca needs the ARN of the secret holding the env0 agent access token (the poller reads the queue with it; the ACA job keeps its own copy)',
    );
  }
  return {
    queueStateUrl,
    agentImageTag: context.string('env0AgentImageTag', VERSION, 'a pinned agent version X.Y.Z (not latest)'),
    agentTokenSecretArn,
    logLevel: context.string('env0LogLevel', LOG_LEVEL, 'debug, info, warn or error, or empty'),
    pollingIntervalSeconds,
    minExecutions,
    maxExecutions,
    targetValue: context.integer('targetValue', 1, 1000),
    activationTargetValue: context.integer('activationTargetValue', 0, 1000),
    replicaTimeoutSeconds: context.integer('replicaTimeout', 60, 7 * 86_400),
    agentStartupSeconds: context.integer('agentStartupSeconds', 0, 900),
    scheduleMinutes: Math.max(1, Math.round(pollingIntervalSeconds / 60)),
  };
}
