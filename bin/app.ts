import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseStackConfig, StackConfigError } from '../lib/config/stack-config.js';
import { DispatcherStack } from '../lib/dispatcher-stack.js';
import { Env0PollerStack } from '../lib/env0-poller-stack.js';

const app = new App();
try {
  const config = parseStackConfig((key) => app.node.tryGetContext(key));
  const Stack = config.source === 'env0' ? Env0PollerStack : DispatcherStack;
  new Stack(app, config.stackName, { stackName: config.stackName, config });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth();
} catch (error) {
  if (!(error instanceof StackConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
