// The package entry: the whole deployment as one construct, the repository app's stack, and the smaller
// constructs for those who assemble their own (docs/library.md).
export { AgentDispatcher, type AgentDispatcherProps, needsLaunchLedger } from './agent-dispatcher.js';
export { contextSettings, type DispatcherSettings } from './config/dispatcher-settings.js';
export type { ScalrRegistrationConfig } from './config/scalr-registration-config.js';
export {
  CONTEXT_DEFAULTS,
  type ContextLookup,
  parseStackConfig,
  type StackConfig,
  StackConfigError,
} from './config/stack-config.js';
export { AcaTarget, type AcaTargetProps } from './constructs/aca-target.js';
export {
  AgentEventsForwarder,
  type AgentEventsForwarderProps,
} from './constructs/agent-events-forwarder.js';
export { type AgentTaskWatch, DispatcherAlarms, type DispatcherAlarmsProps } from './constructs/alarms.js';
export {
  ApiGatewayAccountRole,
  type ApiGatewayAccountRoleProps,
} from './constructs/api-gateway-account-role.js';
export { DispatcherFunction, type DispatcherFunctionProps } from './constructs/dispatcher-function.js';
export { AGENT_CONTAINER_NAME, FargateAgent, type FargateAgentProps } from './constructs/fargate-agent.js';
export { LaunchLedger, type LaunchLedgerProps } from './constructs/launch-ledger.js';
export { type ExistingNetwork, Network, type NetworkProps } from './constructs/network.js';
export { ScalrRegistration, type ScalrRegistrationProps } from './constructs/scalr-registration.js';
export { DispatcherSecrets, type DispatcherSecretsProps } from './constructs/secrets.js';
export { WebhookApi, type WebhookApiProps } from './constructs/webhook-api.js';
export { DispatcherStack, type DispatcherStackProps } from './dispatcher-stack.js';
