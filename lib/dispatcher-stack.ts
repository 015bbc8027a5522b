import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { AgentDispatcher, type AgentDispatcherProps } from './agent-dispatcher.js';
import type { StackTarget } from './config/stack-config.js';

export { needsLaunchLedger } from './agent-dispatcher.js';

/** Props of {@link DispatcherStack}. */
export interface DispatcherStackProps extends StackProps {
  /**
   * The pool's settings and resources; its `name` is the stack name.
   * @default - the defaults of every setting
   */
  readonly dispatcher?: Omit<AgentDispatcherProps, 'name'>;
}

const DESCRIPTIONS: Record<StackTarget, string> = {
  ecs: 'Scalr serverless agent pool: API Gateway + Lambda dispatcher + single-run Fargate agents',
  aca: 'Scalr serverless agent pool: API Gateway + Lambda dispatcher + Azure Container Apps job executions',
};

/**
 * The repository app's stack: one {@link AgentDispatcher} with the id `Default`, which CDK leaves out of
 * logical IDs, so the stack keeps the logical IDs it had before the construct existed.
 */
export class DispatcherStack extends Stack {
  readonly pool: AgentDispatcher;

  constructor(scope: Construct, id: string, props: DispatcherStackProps = {}) {
    super(scope, id, props);
    this.pool = new AgentDispatcher(this, 'Default', props.dispatcher);
    this.templateOptions.description ??= DESCRIPTIONS[this.pool.config.target];
  }
}
