import type { ContextReader } from './context-reader.js';
import { REGION } from './context-schemas.js';

/** Where this stack's agent task events also go (docs/operations.md, "Failover agents"). */
export interface AgentEventsConfig {
  /**
   * The primary stack's Region: a rule sends this stack's ECS Task State Changes to that Region's
   * default event bus, where the primary's trail and agent-failure alarm see them. Empty: none.
   */
  readonly forwardAgentEventsTo: string;
}

/** Reads `forwardAgentEventsTo`; problems go to the reader so one synth lists them all. */
export function readAgentEvents(context: ContextReader): AgentEventsConfig {
  const region = context.string(
    'forwardAgentEventsTo',
    REGION,
    "the primary stack's AWS Region, e.g. eu-west-1, or empty",
  );
  if (region !== '' && context.peek('target') === 'aca') {
    context.problem(
      'forwardAgentEventsTo is set with target=aca: only ECS agent tasks have task events to forward',
    );
  }
  return { forwardAgentEventsTo: region };
}
