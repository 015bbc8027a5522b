/**
 * How the project's own factories reach the simulated cloud. The property test mocks three modules
 * (see exactly-once.test.ts): `ECSClient` becomes `SimEcsClient`, which answers for the simulated
 * Region its `endpoint` names; `ArmJobApi` becomes `SimArmJobApi`, which answers for the simulated
 * job its `ACA_JOB_NAME` names; and time constants (the retry policy, the ACA settle time, the
 * template read timeout) are the simulation's, scaled to milliseconds. Everything between (the
 * registry's choice of launcher, `createEcsLegs`' legs and tokens, `createAcaLeg`, failover
 * targets) is the production code. This module imports no SDK, so a mock factory may load it.
 */

/** What a simulated service answers: the `send` of an SDK client. */
export interface SimSender {
  send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}

const ecsWorlds = new Map<string, SimSender>();
const acaJobs = new Map<string, SimAcaJob>();

/** The three ARM calls of the ACA leg (the shape of `AcaJobApi`). */
export interface SimAcaJob {
  readJob(signal: AbortSignal): Promise<unknown>;
  start(template: never, signal: AbortSignal): Promise<unknown>;
  findExecution(dedupKey: string, signal: AbortSignal): Promise<unknown>;
}

/** The endpoint (`AWS_ENDPOINT_URL_ECS`) that routes an ECS client to `world`; forget it with `drop`. */
export function registerEcs(id: string, world: SimSender): { endpoint: string; drop: () => void } {
  const endpoint = `http://sim-ecs.invalid/${id}`;
  ecsWorlds.set(endpoint, world);
  return { endpoint, drop: () => ecsWorlds.delete(endpoint) };
}

/** Routes the ACA job named `job` (`ACA_JOB_NAME`) to `api`. */
export function registerAca(job: string, api: SimAcaJob): { drop: () => void } {
  acaJobs.set(job, api);
  return { drop: () => acaJobs.delete(job) };
}

/** Stands in for `ECSClient`: the same constructor options, answered by the simulated Region. */
export class SimEcsClient {
  readonly middlewareStack = { remove: (_name: string) => true };
  private readonly world: SimSender;

  constructor(config: { endpoint?: unknown } = {}) {
    const endpoint = String(config.endpoint ?? '');
    const world = ecsWorlds.get(endpoint);
    if (world === undefined) throw new Error(`no simulated ECS Region at ${endpoint}`);
    this.world = world;
  }

  send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown> {
    return this.world.send(command, options);
  }

  destroy(): void {}
}

/** Stands in for `ArmJobApi`: the same constructor, answered by the simulated job. */
export class SimArmJobApi implements SimAcaJob {
  private readonly job: SimAcaJob;

  constructor(_client: unknown, _resourceGroup: string, jobName: string) {
    const job = acaJobs.get(jobName);
    if (job === undefined) throw new Error(`no simulated ACA job ${jobName}`);
    this.job = job;
  }

  readJob(signal: AbortSignal): Promise<unknown> {
    return this.job.readJob(signal);
  }
  start(template: never, signal: AbortSignal): Promise<unknown> {
    return this.job.start(template, signal);
  }
  findExecution(dedupKey: string, signal: AbortSignal): Promise<unknown> {
    return this.job.findExecution(dedupKey, signal);
  }
}
