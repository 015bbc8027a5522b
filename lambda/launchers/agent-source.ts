/**
 * Who queued the work an agent is started for (`AGENT_SOURCE`): a Scalr webhook or the env0 poller.
 * Launchers name what they start by it (ECS `startedBy` and tags, Docker variables and labels), so an
 * operator can tell a Scalr agent from an env0 one.
 */
export type AgentSource = 'scalr' | 'env0';

export const AGENT_SOURCES: readonly AgentSource[] = ['scalr', 'env0'];
