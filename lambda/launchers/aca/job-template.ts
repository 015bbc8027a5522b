import type {
  EnvironmentVar,
  JobExecutionContainer,
  JobExecutionTemplate,
  JobTemplate,
} from '@azure/arm-appcontainers';
import { ConfigError } from '../../errors.js';
import { dispatchContextEnvironment } from '../dispatch-context.js';
import type { LaunchRequest } from '../launcher.js';

/** Variables that carry the agent token; they must come from a job secret, never a plain value. */
const TOKEN_VARIABLES = new Set(['SCALR_AGENT_TOKEN', 'SCALR_TOKEN']);

/** Name of the variable that ties an execution to its de-duplication key (found again by it). */
export const DEDUP_KEY_VARIABLE = 'DISPATCH_DEDUP_KEY';

/** Non-secret Scalr context for one execution, as for ECS, plus the de-duplication key. */
export function dispatchEnvironment(request: LaunchRequest): EnvironmentVar[] {
  return [...dispatchContextEnvironment(request), { name: DEDUP_KEY_VARIABLE, value: request.dedupKey }];
}

/** Keeps a variable as the job defines it: a secret reference stays a reference, with no value. */
function copyVariable(variable: EnvironmentVar): EnvironmentVar {
  return variable.secretRef !== undefined
    ? { name: variable.name, secretRef: variable.secretRef }
    : { name: variable.name, value: variable.value };
}

function copyContainer(container: JobExecutionContainer): JobExecutionContainer {
  return {
    name: container.name,
    image: container.image,
    command: container.command,
    args: container.args,
    resources:
      container.resources === undefined
        ? undefined
        : { cpu: container.resources.cpu, memory: container.resources.memory },
    env: container.env?.map(copyVariable),
  };
}

/**
 * The containers of a job as an execution template. An execution override replaces the job's
 * containers wholesale, so every container is copied as the job defines it; only the environment
 * of the agent container changes per execution. Refuses a job that holds the token in plain text.
 */
export function baseExecutionTemplate(
  template: JobTemplate | undefined,
  jobName: string,
  containerName: string | undefined,
): { containers: JobExecutionContainer[]; agentIndex: number } {
  const containers = (template?.containers ?? []).map(copyContainer);
  const agentIndex =
    containerName === undefined ? 0 : containers.findIndex((container) => container.name === containerName);
  if (containers.length === 0 || agentIndex < 0) {
    const which = containerName === undefined ? 'no container' : `no container named "${containerName}"`;
    throw new ConfigError(
      `The Container Apps job ${jobName} has ${which} in its template: check ACA_JOB_NAME and ACA_CONTAINER_NAME.`,
    );
  }
  for (const container of containers) {
    const plain = container.env?.find((v) => TOKEN_VARIABLES.has(v.name ?? '') && v.secretRef === undefined);
    if (plain !== undefined) {
      throw new ConfigError(
        `The Container Apps job ${jobName} sets ${plain.name} as a plain value: store the token as a job secret and reference it with secretRef.`,
      );
    }
  }
  return { containers, agentIndex };
}

/** The execution template for one launch: the job's containers, plus the context on the agent's. */
export function executionTemplateFor(
  base: { containers: readonly JobExecutionContainer[]; agentIndex: number },
  request: LaunchRequest,
): JobExecutionTemplate {
  const extra = dispatchEnvironment(request);
  const names = new Set(extra.map((variable) => variable.name));
  return {
    containers: base.containers.map((container, index) =>
      index !== base.agentIndex
        ? container
        : { ...container, env: [...(container.env ?? []).filter((v) => !names.has(v.name)), ...extra] },
    ),
  };
}
