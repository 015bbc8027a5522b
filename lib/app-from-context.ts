import type { App } from 'aws-cdk-lib';
import { contextSettings } from './config/dispatcher-settings.js';
import { parseStackConfig } from './config/stack-config.js';
import { DispatcherStack } from './dispatcher-stack.js';

/**
 * The repository app: the CDK context (`cdk.json`, `-c key=value`) mapped to one {@link DispatcherStack}.
 * Parsing here first reports every wrong key as "Invalid CDK context" before anything is built; the
 * construct parses the same values again.
 */
export function dispatcherStackFromContext(app: App): DispatcherStack {
  const lookup = (key: string) => app.node.tryGetContext(key);
  const { stackName } = parseStackConfig(lookup);
  return new DispatcherStack(app, stackName, { stackName, dispatcher: contextSettings(lookup) });
}
