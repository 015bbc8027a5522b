import type { ContextReader } from './context-reader.js';

/**
 * Opt-in Scalr registration (docs/deploy.md#one-command-deploy): the stack makes the agent pool a
 * serverless pool pointing at its webhook and stores a fresh pool token itself. Present on the stack
 * config only when `scalrApiTokenSecretArn` is set.
 */
export interface ScalrRegistrationConfig {
  /** Account URL, e.g. `https://example.scalr.io` (the `scalrUrl` key, shared with the agent). */
  readonly scalrUrl: string;
  /** Complete ARN of an existing secret holding a Scalr API token (plain string). */
  readonly apiTokenSecretArn: string;
  /** An existing pool (`apool-...`) the stack configures but never deletes; empty = `poolName`. */
  readonly poolId: string;
  /** Name of the pool the stack creates (found by name first, so a retry never makes a second). */
  readonly poolName: string;
  /** A created pool is shared with every environment of the account (`is-shared`). */
  readonly poolShared: boolean;
  /**
   * Bump to re-apply the headers after rotating the webhook secret outside CloudFormation
   * (`put-secret-value`): a new API key or secret resource changes the properties by itself.
   */
  readonly headersRevision: number;
}

const POOL_ID = /^apool-[a-z0-9]{6,32}$/;
// Scalr pool names: printable, no leading or trailing space; kept short for the console.
const POOL_NAME = /^[\w][\w .:/()-]{0,126}[\w)]$|^[\w]$/;

/**
 * Reads the registration keys; problems go to the reader so one synth lists them all. Returns an
 * empty object when the registration is off (no `scalrApiTokenSecretArn`), so nothing else changes.
 */
export function readScalrRegistration(
  context: ContextReader,
  secretArn: RegExp,
  arnHint: string,
): { scalrRegistration?: ScalrRegistrationConfig } {
  const apiTokenSecretArn = context.string(
    'scalrApiTokenSecretArn',
    secretArn,
    `${arnHint} of a Secrets Manager secret holding a Scalr API token, or empty to register the pool by hand`,
  );
  const poolId = context.string('scalrAgentPoolId', POOL_ID, 'an agent pool id (apool-...), or empty');
  const poolName = context.string(
    'scalrAgentPoolName',
    POOL_NAME,
    'an agent pool name (letters, digits, spaces, _ . : / ( ) -; at most 128), or empty',
  );
  const poolShared = context.boolean('scalrAgentPoolShared');
  const headersRevision = context.integer('scalrHeadersRevision', 0, 1_000_000);
  if (apiTokenSecretArn === '') {
    const stray = (['scalrAgentPoolId', 'scalrAgentPoolName'] as const).filter(
      (key) => context.given(key) !== undefined && context.given(key) !== '',
    );
    if (stray.length > 0) {
      context.problem(
        `${stray.join(' and ')} ${stray.length > 1 ? 'are' : 'is'} set but scalrApiTokenSecretArn is empty: set it to let the stack register the pool, or leave the pool keys empty`,
      );
    }
    return {};
  }
  if (context.peek('target') !== 'ecs') {
    context.problem(
      "scalrApiTokenSecretArn is set with target=aca: the registration stores the pool token in the stack's agent token secret, which only target=ecs has (the aca target keeps the token in the Container Apps job)",
    );
  }
  const scalrUrl = context.string('scalrUrl');
  if (scalrUrl === '') {
    context.problem(
      'scalrUrl is empty: the Scalr registration (scalrApiTokenSecretArn) needs the account URL, e.g. https://example.scalr.io',
    );
  }
  if ((poolId === '') === (poolName === '')) {
    context.problem(
      poolId === ''
        ? 'scalrAgentPoolId and scalrAgentPoolName are both empty: the Scalr registration needs one (an existing pool to configure, or the name of the pool to create)'
        : 'scalrAgentPoolId and scalrAgentPoolName are both set: give the existing pool id or the name of a pool to create, not both',
    );
  }
  if (poolId !== '' && poolShared) {
    context.problem(
      'scalrAgentPoolShared is true with scalrAgentPoolId: sharing applies to a pool the stack creates; share an existing pool in Scalr',
    );
  }
  return {
    scalrRegistration: { scalrUrl, apiTokenSecretArn, poolId, poolName, poolShared, headersRevision },
  };
}
