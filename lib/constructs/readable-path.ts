import type { IConstruct } from 'constructs';

/**
 * The construct's path without `Default` ids, which CDK also leaves out of logical IDs. Names and
 * descriptions CDK derives from the path (VPC Name tags, the provider framework's description) use it,
 * so the repository app's `AgentDispatcher` at `Stack/Default` renders them as the stack did before
 * the construct existed. Any other path is unchanged.
 */
export function readablePath(construct: IConstruct): string {
  return construct.node.scopes
    .map((scope) => scope.node.id)
    .filter((id) => id !== '' && id !== 'Default')
    .join('/');
}
