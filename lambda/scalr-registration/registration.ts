import { createHash } from 'node:crypto';
import { type AgentPool, type PoolWebhook, type ScalrApi, ScalrApiError } from './scalr-api.js';

/**
 * onEvent logic of the `ScalrRegistration` custom resource (CDK Provider framework): makes the Scalr
 * agent pool a serverless pool that calls this stack's webhook, and keeps exactly one pool token of
 * this stack, whose value goes straight from Scalr's answer into the agent token secret. Secret
 * values are read here at run time by ARN/id; none is a property, an attribute or a log field.
 */

/** Properties of the custom resource: names, ARNs and ids only. */
export interface RegistrationProperties {
  readonly ScalrUrl: string;
  readonly ScalrApiTokenSecretArn: string;
  /** Existing pool to configure; empty when the stack creates `PoolName`. */
  readonly PoolId?: string;
  readonly PoolName?: string;
  readonly PoolShared?: string;
  readonly WebhookUrl: string;
  readonly ApiKeyId: string;
  readonly WebhookSecretArn: string;
  readonly AgentTokenSecretArn: string;
  /** Not read: a change (a new revision, key or secret) is what makes CloudFormation send an Update. */
  readonly HeadersRevision?: string;
}

export interface RegistrationEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly StackId: string;
  readonly LogicalResourceId: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: RegistrationProperties;
  readonly OldResourceProperties?: RegistrationProperties;
}

export interface RegistrationResult {
  readonly PhysicalResourceId: string;
  readonly Data?: { readonly PoolId: string; readonly PoolCreatedByStack: 'true' | 'false' };
}

/** What the handler reads and writes in AWS (Secrets Manager, API Gateway). */
export interface AwsAccess {
  /** A secret's string value. */
  secretValue(arn: string): Promise<string>;
  /** The value of an API Gateway API key. */
  apiKeyValue(id: string): Promise<string>;
  /** The version id labelled AWSCURRENT, without reading the value. */
  currentVersionId(arn: string): Promise<string | undefined>;
  /** Writes a new current value with the given version id (idempotent for the same id and value). */
  putSecretValue(arn: string, value: string, versionId: string): Promise<void>;
}

export interface RegistrationDeps {
  readonly aws: AwsAccess;
  /** A Scalr client for the account URL and API token. */
  readonly scalr: (url: string, token: string) => ScalrApi;
  readonly log?: (line: Record<string, unknown>) => void;
}

/** A pool lookup or create that failed or whose answer was lost is tried this many times. */
const CREATE_ROUNDS = 3;

/** Invalid properties or a state the handler will not guess about; the message says what to do. */
export class RegistrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegistrationError';
  }
}

export async function onEvent(event: RegistrationEvent, deps: RegistrationDeps): Promise<RegistrationResult> {
  const log = deps.log ?? ((line) => console.log(JSON.stringify({ level: 'info', ...line })));
  const props = checked(event.ResourceProperties);
  const token = await deps.aws.secretValue(props.ScalrApiTokenSecretArn);
  if (token.trim() === '') {
    throw new RegistrationError(
      `the secret ${props.ScalrApiTokenSecretArn} (scalrApiTokenSecretArn) is empty`,
    );
  }
  const scalr = deps.scalr(props.ScalrUrl, token.trim());
  const description = tokenDescription(event);
  if (event.RequestType === 'Delete') return remove(event, props, scalr, description, log);

  const webhook = await stackWebhook(props, deps.aws);
  const { pool, created } = await ensurePool(event, props, webhook, scalr, log);
  await ensureToken(pool.id, description, props.AgentTokenSecretArn, scalr, deps.aws, log);
  return {
    PhysicalResourceId: pool.id,
    Data: { PoolId: pool.id, PoolCreatedByStack: created ? 'true' : 'false' },
  };
}

function checked(props: RegistrationProperties): RegistrationProperties {
  for (const key of [
    'ScalrUrl',
    'ScalrApiTokenSecretArn',
    'WebhookUrl',
    'ApiKeyId',
    'WebhookSecretArn',
    'AgentTokenSecretArn',
  ] as const) {
    if (typeof props?.[key] !== 'string' || props[key] === '') {
      throw new RegistrationError(`property ${key} is ${JSON.stringify(props?.[key])}: expected a value`);
    }
  }
  if (!props.PoolId === !props.PoolName) {
    throw new RegistrationError(
      'give PoolId (an existing pool) or PoolName (a pool to create), not both or neither',
    );
  }
  return props;
}

/**
 * The token's description names the stack and the resource: it is how a retry finds the tokens this
 * resource made (their values are never listed), and how a person tells them apart in Scalr.
 */
export function tokenDescription(event: Pick<RegistrationEvent, 'StackId' | 'LogicalResourceId'>): string {
  // arn:aws:cloudformation:<region>:<account>:stack/<name>/<guid>
  const [, name = '?', guid = ''] = event.StackId.split('/');
  return `agent-dispatcher ${name}/${event.LogicalResourceId} ${guid.slice(0, 8)} (managed by CloudFormation)`;
}

/** The Secrets Manager version id a token's value is written under: the secret then names its token. */
export function versionIdFor(tokenId: string): string {
  return `${tokenId}.${createHash('sha256').update(tokenId).digest('hex')}`.slice(0, 64);
}

async function stackWebhook(props: RegistrationProperties, aws: AwsAccess): Promise<PoolWebhook> {
  const [apiKey, secret] = await Promise.all([
    aws.apiKeyValue(props.ApiKeyId),
    aws.secretValue(props.WebhookSecretArn),
  ]);
  return {
    enabled: true,
    url: props.WebhookUrl,
    headers: [
      { name: 'x-api-key', value: apiKey, sensitive: true },
      { name: 'Authorization', value: `Bearer ${secret}`, sensitive: true },
    ],
  };
}

const POOL_ID = /^apool-[a-z0-9]+$/;

async function ensurePool(
  event: RegistrationEvent,
  props: RegistrationProperties,
  webhook: PoolWebhook,
  scalr: ScalrApi,
  log: NonNullable<RegistrationDeps['log']>,
): Promise<{ pool: AgentPool; created: boolean }> {
  const request = event.RequestType;
  if (props.PoolId) {
    const pool = await scalr.updatePool(props.PoolId, webhook);
    if (pool === undefined) {
      throw new RegistrationError(
        `Scalr has no agent pool ${props.PoolId} in ${props.ScalrUrl}: check scalrAgentPoolId (or give scalrAgentPoolName to let the stack create one)`,
      );
    }
    log({ requestType: request, outcome: 'pool_configured', poolId: pool.id, createdByStack: false });
    return { pool, created: false };
  }
  const name = props.PoolName as string;
  // The same pool as before (same name): update it where it is.
  const previous = event.PhysicalResourceId;
  if (
    request === 'Update' &&
    previous &&
    POOL_ID.test(previous) &&
    event.OldResourceProperties?.PoolName === name
  ) {
    const pool = await scalr.updatePool(previous, webhook);
    if (pool !== undefined) {
      log({ requestType: request, outcome: 'pool_updated', poolId: pool.id, createdByStack: true });
      return { pool, created: true };
    }
    log({ requestType: request, outcome: 'pool_gone', poolId: previous });
  }
  for (let round = 1; ; round++) {
    // Look before creating: CloudFormation re-sends events, and a create whose answer was lost has applied.
    const found = await scalr.findPoolsByName(name);
    const ours = found.filter((pool) => pool.webhookUrl === props.WebhookUrl);
    if (ours.length > 1) {
      throw new RegistrationError(
        `Scalr has ${ours.length} agent pools named "${name}" that call this stack (${ours.map((p) => p.id).join(', ')}): delete the extra ones in Scalr and deploy again`,
      );
    }
    const mine = ours[0];
    if (mine !== undefined) {
      const pool = (await scalr.updatePool(mine.id, webhook)) ?? mine;
      log({ requestType: request, outcome: 'pool_found', poolId: pool.id, createdByStack: true, round });
      return { pool, created: true };
    }
    if (found.length > 0) {
      throw new RegistrationError(
        `Scalr already has an agent pool named "${name}" (${found.map((p) => p.id).join(', ')}) that does not call this stack: give its id as scalrAgentPoolId to configure it (the stack then never deletes it), or choose another scalrAgentPoolName`,
      );
    }
    try {
      const pool = await scalr.createPool(name, webhook, props.PoolShared === 'true');
      log({ requestType: request, outcome: 'pool_created', poolId: pool.id, createdByStack: true, round });
      return { pool, created: true };
    } catch (error) {
      if (!(error instanceof ScalrApiError && error.uncertain) || round >= CREATE_ROUNDS) throw error;
      log({ requestType: request, outcome: 'pool_create_uncertain', status: error.status, round });
    }
  }
}

/**
 * Exactly one token of this resource in the end, and the secret holding its value: a token whose id
 * the secret's current version names is kept; otherwise a new one is made and written. Tokens of
 * this resource the secret does not hold (a retry's leftovers, a create whose answer was lost) go.
 */
async function ensureToken(
  poolId: string,
  description: string,
  secretArn: string,
  scalr: ScalrApi,
  aws: AwsAccess,
  log: NonNullable<RegistrationDeps['log']>,
): Promise<void> {
  const mine = (await scalr.listTokens(poolId)).filter((t) => t.description === description);
  const current = await aws.currentVersionId(secretArn);
  let keep = mine.find((t) => versionIdFor(t.id) === current);
  if (keep === undefined) {
    let created: Awaited<ReturnType<ScalrApi['createToken']>> | undefined;
    for (let round = 1; created === undefined; round++) {
      try {
        created = await scalr.createToken(poolId, description);
      } catch (error) {
        // A lost answer may have made a token nobody holds: it is one of the leftovers removed below.
        if (!(error instanceof ScalrApiError && error.uncertain) || round >= CREATE_ROUNDS) throw error;
        log({ outcome: 'token_create_uncertain', poolId, status: error.status, round });
      }
    }
    if (!created.token) {
      throw new RegistrationError(
        `Scalr created token ${created.id} of pool ${poolId} but did not return its value`,
      );
    }
    await aws.putSecretValue(secretArn, created.token, versionIdFor(created.id));
    keep = created;
    log({ outcome: 'token_stored', poolId, tokenId: created.id });
  } else {
    log({ outcome: 'token_kept', poolId, tokenId: keep.id });
  }
  const stale = (await scalr.listTokens(poolId)).filter(
    (t) => t.description === description && t.id !== keep.id,
  );
  for (const token of stale) {
    await scalr.deleteToken(token.id);
    log({ outcome: 'token_removed', poolId, tokenId: token.id });
  }
}

/**
 * Delete: this resource's tokens go; a pool the stack created goes; a pool it was given loses its
 * serverless settings (webhook off, URL and headers cleared) only while they still point at this
 * stack, and keeps its name, workspaces, sharing and other tokens.
 */
async function remove(
  event: RegistrationEvent,
  props: RegistrationProperties,
  scalr: ScalrApi,
  description: string,
  log: NonNullable<RegistrationDeps['log']>,
): Promise<RegistrationResult> {
  const physical = event.PhysicalResourceId ?? '';
  let pools: AgentPool[];
  if (POOL_ID.test(physical)) {
    const pool = await scalr.readPool(physical);
    pools = pool ? [pool] : [];
  } else if (props.PoolName) {
    // A create that failed: its pool, if it was made, is the one named so that calls this stack.
    pools = (await scalr.findPoolsByName(props.PoolName)).filter((p) => p.webhookUrl === props.WebhookUrl);
  } else {
    const pool = await scalr.readPool(props.PoolId as string);
    pools = pool ? [pool] : [];
  }
  for (const pool of pools) {
    for (const token of (await scalr.listTokens(pool.id)).filter((t) => t.description === description)) {
      await scalr.deleteToken(token.id);
      log({ requestType: 'Delete', outcome: 'token_removed', poolId: pool.id, tokenId: token.id });
    }
    if (props.PoolName && !props.PoolId) {
      await scalr.deletePool(pool.id);
      log({ requestType: 'Delete', outcome: 'pool_deleted', poolId: pool.id });
    } else if (pool.webhookUrl === props.WebhookUrl) {
      await scalr.updatePool(pool.id, { enabled: false, url: '', headers: [] });
      log({ requestType: 'Delete', outcome: 'pool_serverless_off', poolId: pool.id });
    } else {
      log({ requestType: 'Delete', outcome: 'pool_left_alone', poolId: pool.id });
    }
  }
  if (pools.length === 0) log({ requestType: 'Delete', outcome: 'nothing_to_remove', physicalId: physical });
  return { PhysicalResourceId: physical || 'none' };
}
