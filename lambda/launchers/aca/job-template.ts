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

/**
 * Whether a variable reads a job secret. ARM answers `"secretRef": null` for a plain variable, so
 * only a non-empty name counts: `null` is no reference, and its `value` must be kept.
 */
function isSecretReference(variable: EnvironmentVar): boolean {
  return typeof variable.secretRef === 'string' && variable.secretRef !== '';
}

/** Keeps a variable as the job defines it: a secret reference stays a reference, with no value. */
function copyVariable(variable: EnvironmentVar): EnvironmentVar {
  return isSecretReference(variable)
    ? { name: variable.name, secretRef: variable.secretRef }
    : { name: variable.name, value: variable.value ?? undefined };
}

/**
 * What a `JobExecutionContainer` can carry of a job container (init or main): name, image,
 * command, args, env, resources. `volumeMounts` and `probes` have no field in it (docs/azure.md,
 * "What an execution keeps of its job").
 */
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

/** The job's definitions an execution template repeats: its containers and its init containers. */
export interface BaseTemplate {
  readonly containers: JobExecutionContainer[];
  /** Absent when the job has none, so the start body stays what it was for such jobs. */
  readonly initContainers?: JobExecutionContainer[];
  readonly agentIndex: number;
  /** The job's Azure location (`westeurope`), kept with the template; never part of a start body. */
  readonly location?: string;
}

/**
 * The containers and init containers of a job as an execution template. An execution override
 * replaces the job's lists wholesale (as `az containerapp job start --image` does, which sends one
 * container and nothing else), so every container and init container is copied as the job defines
 * it; only the environment of the agent container changes per execution. Refuses a job that holds
 * the token in plain text.
 */
export function baseExecutionTemplate(
  template: JobTemplate | undefined,
  jobName: string,
  containerName: string | undefined,
): BaseTemplate {
  const containers = (template?.containers ?? []).map(copyContainer);
  const initContainers = template?.initContainers?.map(copyContainer);
  const agentIndex =
    containerName === undefined ? 0 : containers.findIndex((container) => container.name === containerName);
  if (containers.length === 0 || agentIndex < 0) {
    const which = containerName === undefined ? 'no container' : `no container named "${containerName}"`;
    throw new ConfigError(
      `The Container Apps job ${jobName} has ${which} in its template: check ACA_JOB_NAME and ACA_CONTAINER_NAME.`,
    );
  }
  for (const container of [...containers, ...(initContainers ?? [])]) {
    const plain = container.env?.find((v) => TOKEN_VARIABLES.has(v.name ?? '') && !isSecretReference(v));
    if (plain !== undefined) {
      throw new ConfigError(
        `The Container Apps job ${jobName} sets ${plain.name} as a plain value: store the token as a job secret and reference it with secretRef.`,
      );
    }
  }
  return initContainers === undefined || initContainers.length === 0
    ? { containers, agentIndex }
    : { containers, initContainers, agentIndex };
}

/** The execution template for one launch: the job's (init) containers, plus the context on the agent's. */
export function executionTemplateFor(base: BaseTemplate, request: LaunchRequest): JobExecutionTemplate {
  const extra = dispatchEnvironment(request);
  const names = new Set(extra.map((variable) => variable.name));
  return {
    ...(base.initContainers === undefined ? {} : { initContainers: base.initContainers }),
    containers: base.containers.map((container, index) =>
      index !== base.agentIndex
        ? container
        : { ...container, env: [...(container.env ?? []).filter((v) => !names.has(v.name)), ...extra] },
    ),
  };
}
