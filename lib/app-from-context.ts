import type { App } from 'aws-cdk-lib';
import { contextSettings } from './config/dispatcher-settings.js';
import { parseStackConfig } from './config/stack-config.js';
import { DispatcherStack } from './dispatcher-stack.js';
import { Env0PollerStack } from './env0-poller-stack.js';

/**
 * The repository app: the CDK context (`cdk.json`, `-c key=value`) mapped to one stack, the Scalr
 * webhook pool ({@link DispatcherStack}) or, with `source=env0`, the env0 poller ({@link Env0PollerStack}).
 * Parsing here first reports every wrong key as "Invalid CDK context" before anything is built; the
 * construct parses the same values again.
 */
export function dispatcherStackFromContext(app: App): DispatcherStack | Env0PollerStack {
  const lookup = (key: string) => app.node.tryGetContext(key);
  const config = parseStackConfig(lookup);
  const { stackName } = config;
  if (config.source === 'env0') return new Env0PollerStack(app, stackName, { stackName, config });
  return new DispatcherStack(app, stackName, { stackName, dispatcher: contextSettings(lookup) });
}
