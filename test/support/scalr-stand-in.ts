import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The calls of the Scalr API the registration makes, named for faults and counts. */
export type ScalrOperation =
  | 'ListPools'
  | 'ReadPool'
  | 'CreatePool'
  | 'UpdatePool'
  | 'DeletePool'
  | 'ListTokens'
  | 'CreateToken'
  | 'DeleteToken';

/** A fault injected into one call. */
export type ScalrFault =
  /** Answers this status with Scalr's error document (and `Retry-After` when given), doing nothing. */
  | { kind: 'status'; status: number; retryAfter?: string }
  /** Does the call's work, then cuts the connection: the answer is lost after the change applied. */
  | { kind: 'lost' }
  /** Never answers and does nothing: the client's deadline must end it. */
  | { kind: 'hang' };

export interface StoredPool {
  id: string;
  name: string;
  isShared: boolean;
  webhookEnabled: boolean;
  webhookUrl: string;
  /** As written, values included: what Scalr would send with each webhook. */
  webhookHeaders: { name: string; value: string; sensitive: boolean }[];
}

export interface StoredToken {
  id: string;
  poolId: string;
  description: string;
  token: string;
}

export interface ScalrStandInOptions {
  /** The API token the stand-in accepts (`Authorization: Bearer <token>`); others get 401. */
  readonly apiToken: string;
  /** Largest page it serves, whatever `page[size]` asks (forces paging). @default 100 */
  readonly maxPageSize?: number;
}

const PERMISSION: Record<ScalrOperation, string> = {
  ListPools: 'agent-pools:read',
  ReadPool: 'agent-pools:read',
  CreatePool: 'agent-pools:create',
  UpdatePool: 'agent-pools:update',
  DeletePool: 'agent-pools:delete',
  ListTokens: 'agent-pools:read',
  CreateToken: 'agent-pools:update',
  DeleteToken: 'agent-pools:update',
};

const MEDIA = 'application/vnd.api+json';
const BASE = '/api/iacp/v3/';

type Answer = { status: number; body?: unknown; headers?: Record<string, string> };

/**
 * A local stand-in of the Scalr API for agent pools and their tokens, in the shapes of Scalr's Go
 * client and Terraform provider (go-scalr scalr.go, agent_pool.go, agent_pool_token.go,
 * access_token.go; terraform-provider-scalr resource_scalr_agent_pool.go): JSON:API documents under
 * `/api/iacp/v3/`, `{"errors":[{status,title,detail}]}` error documents, `page[number]`/`page[size]`
 * paging with `meta.pagination`, Bearer token auth. Pessimistic where the sources leave room: a
 * sensitive header's value is never returned, `filter[name]` matches names that contain the text
 * (the client must compare exactly), pool names are unique (422), and any call can fail, throttle,
 * hang, or apply and lose its answer.
 */
export class ScalrStandIn {
  readonly pools = new Map<string, StoredPool>();
  readonly tokens = new Map<string, StoredToken>();
  readonly calls: Record<ScalrOperation, number> = {
    ListPools: 0,
    ReadPool: 0,
    CreatePool: 0,
    UpdatePool: 0,
    DeletePool: 0,
    ListTokens: 0,
    CreateToken: 0,
    DeleteToken: 0,
  };
  /** Permissions the token lacks: calls needing one get 403. */
  readonly denied = new Set<string>();
  faultFor: ((operation: ScalrOperation, n: number) => ScalrFault | undefined) | undefined;
  private server: Server | undefined;

  constructor(private readonly options: ScalrStandInOptions) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.route(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** A pool made outside the stack (in the console). */
  addPool(pool: Partial<StoredPool> & { name: string }): StoredPool {
    const stored: StoredPool = {
      id: newId('apool'),
      isShared: false,
      webhookEnabled: false,
      webhookUrl: '',
      webhookHeaders: [],
      ...pool,
    };
    this.pools.set(stored.id, stored);
    return stored;
  }

  tokensOf(poolId: string): StoredToken[] {
    return [...this.tokens.values()].filter((t) => t.poolId === poolId);
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const match = this.operation(req.method ?? 'GET', url.pathname);
    if (match === undefined) return this.send(res, error(404, 'Not Found', `no route ${url.pathname}`));
    const [operation, id] = match;
    const n = ++this.calls[operation];
    if (req.headers.authorization !== `Bearer ${this.options.apiToken}`) {
      return this.send(res, error(401, 'Unauthorized', 'Authentication credentials are not valid.'));
    }
    if (this.denied.has(PERMISSION[operation])) {
      return this.send(
        res,
        error(403, 'Forbidden', `You don't have permission to perform ${PERMISSION[operation]}.`),
      );
    }
    const fault = this.faultFor?.(operation, n);
    if (fault?.kind === 'hang') return;
    if (fault?.kind === 'status') {
      const headers = fault.retryAfter === undefined ? undefined : { 'retry-after': fault.retryAfter };
      return this.send(res, { ...error(fault.status, statusTitle(fault.status), 'stand-in fault'), headers });
    }
    let body: Record<string, unknown> = {};
    if (chunks.length > 0) {
      if (!String(req.headers['content-type'] ?? '').startsWith(MEDIA)) {
        return this.send(res, error(415, 'Unsupported Media Type', `send ${MEDIA}`));
      }
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        return this.send(res, error(400, 'Bad Request', 'the body is not JSON'));
      }
    }
    const answer = this.serve(operation, id, url.searchParams, body);
    if (fault?.kind === 'lost') return void res.socket?.destroy();
    this.send(res, answer);
  }

  private operation(method: string, path: string): [ScalrOperation, string] | undefined {
    if (!path.startsWith(BASE)) return undefined;
    const parts = path.slice(BASE.length).split('/').map(decodeURIComponent);
    const [kind, id = '', sub] = parts;
    if (kind === 'agent-pools' && parts.length === 1) {
      if (method === 'GET') return ['ListPools', ''];
      if (method === 'POST') return ['CreatePool', ''];
    }
    if (kind === 'agent-pools' && parts.length === 2) {
      if (method === 'GET') return ['ReadPool', id];
      if (method === 'PATCH') return ['UpdatePool', id];
      if (method === 'DELETE') return ['DeletePool', id];
    }
    if (kind === 'agent-pools' && sub === 'access-tokens' && parts.length === 3) {
      if (method === 'GET') return ['ListTokens', id];
      if (method === 'POST') return ['CreateToken', id];
    }
    if (kind === 'access-tokens' && parts.length === 2 && method === 'DELETE') return ['DeleteToken', id];
    return undefined;
  }

  private serve(
    operation: ScalrOperation,
    id: string,
    query: URLSearchParams,
    body: Record<string, unknown>,
  ): Answer {
    const data = (body.data ?? {}) as { type?: string; attributes?: Record<string, unknown> };
    const attributes = data.attributes ?? {};
    switch (operation) {
      case 'ListPools': {
        const name = query.get('filter[name]');
        const rows = [...this.pools.values()].filter((p) => name === null || p.name.includes(name));
        return this.page(rows.map(poolDocument), query);
      }
      case 'ReadPool': {
        const pool = this.pools.get(id);
        return pool ? { status: 200, body: { data: poolDocument(pool) } } : notFound('agent pool', id);
      }
      case 'CreatePool': {
        if (data.type !== 'agent-pools')
          return error(422, 'Unprocessable Entity', 'data.type must be agent-pools');
        const name = attributes.name;
        if (typeof name !== 'string' || name.trim() === '') {
          return invalid('/data/attributes/name', 'Name is required.');
        }
        if ([...this.pools.values()].some((p) => p.name === name)) {
          return invalid('/data/attributes/name', `Agent pool with name '${name}' already exists.`);
        }
        const checked = webhookFrom(attributes);
        if ('status' in checked) return checked;
        const pool = this.addPool({ name, isShared: attributes['is-shared'] === true, ...checked });
        return { status: 201, body: { data: poolDocument(pool) } };
      }
      case 'UpdatePool': {
        const pool = this.pools.get(id);
        if (!pool) return notFound('agent pool', id);
        const checked = webhookFrom(attributes, pool);
        if ('status' in checked) return checked;
        Object.assign(pool, checked);
        return { status: 200, body: { data: poolDocument(pool) } };
      }
      case 'DeletePool': {
        if (!this.pools.delete(id)) return notFound('agent pool', id);
        for (const token of this.tokensOf(id)) this.tokens.delete(token.id);
        return { status: 204 };
      }
      case 'ListTokens': {
        if (!this.pools.has(id)) return notFound('agent pool', id);
        return this.page(
          this.tokensOf(id).map((t) => tokenDocument(t, false)),
          query,
        );
      }
      case 'CreateToken': {
        if (!this.pools.has(id)) return notFound('agent pool', id);
        const token: StoredToken = {
          id: newId('at'),
          poolId: id,
          description: typeof attributes.description === 'string' ? attributes.description : '',
          token: randomBytes(32).toString('base64url'),
        };
        this.tokens.set(token.id, token);
        return { status: 201, body: { data: tokenDocument(token, true) } };
      }
      case 'DeleteToken':
        return this.tokens.delete(id) ? { status: 204 } : notFound('access token', id);
    }
  }

  /** One page and `meta.pagination` as go-scalr's `Pagination` reads it. */
  private page(rows: unknown[], query: URLSearchParams): Answer {
    const asked = Number(query.get('page[size]') ?? 10);
    const size = Math.max(1, Math.min(Number.isInteger(asked) ? asked : 10, this.options.maxPageSize ?? 100));
    const number = Math.max(1, Number(query.get('page[number]') ?? 1) || 1);
    const totalPages = Math.max(1, Math.ceil(rows.length / size));
    return {
      status: 200,
      body: {
        data: rows.slice((number - 1) * size, number * size),
        meta: {
          pagination: {
            'current-page': number,
            'prev-page': number > 1 ? number - 1 : null,
            'next-page': number < totalPages ? number + 1 : null,
            'total-pages': totalPages,
            'total-count': rows.length,
          },
        },
      },
    };
  }

  private send(res: ServerResponse, answer: Answer): void {
    if (res.destroyed) return;
    res.writeHead(answer.status, { 'content-type': MEDIA, ...(answer.headers ?? {}) });
    res.end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
  }
}

/** The webhook attributes of a create or update; `webhook-url` must be http(s) when enabled. */
function webhookFrom(
  attributes: Record<string, unknown>,
  current?: StoredPool,
): Pick<StoredPool, 'webhookEnabled' | 'webhookUrl' | 'webhookHeaders'> | Answer {
  const enabled = (attributes['webhook-enabled'] ?? current?.webhookEnabled ?? false) === true;
  const url = String(attributes['webhook-url'] ?? current?.webhookUrl ?? '');
  if (enabled && !/^https?:\/\/\S+$/.test(url)) {
    return invalid('/data/attributes/webhook-url', 'Webhook URL must be a valid HTTP(S) URL.');
  }
  const given = attributes['webhook-headers'];
  if (given !== undefined && given !== null && !Array.isArray(given)) {
    return invalid('/data/attributes/webhook-headers', 'must be a list');
  }
  const headers = given === undefined || given === null ? (current?.webhookHeaders ?? []) : given;
  for (const header of headers as Record<string, unknown>[]) {
    if (typeof header?.name !== 'string' || header.name === '' || typeof header.value !== 'string') {
      return invalid('/data/attributes/webhook-headers', 'each header needs a name and a value');
    }
  }
  return {
    webhookEnabled: enabled,
    webhookUrl: url,
    webhookHeaders: (headers as { name: string; value: string; sensitive?: boolean }[]).map((h) => ({
      name: h.name,
      value: h.value,
      sensitive: h.sensitive === true,
    })),
  };
}

function poolDocument(pool: StoredPool): Record<string, unknown> {
  return {
    type: 'agent-pools',
    id: pool.id,
    attributes: {
      name: pool.name,
      'vcs-enabled': false,
      'is-shared': pool.isShared,
      'webhook-enabled': pool.webhookEnabled,
      'webhook-url': pool.webhookUrl,
      // Scalr never returns a sensitive value (the provider keeps the configured one in its state).
      'webhook-headers': pool.webhookHeaders.map((h) => ({
        name: h.name,
        value: h.sensitive ? null : h.value,
        sensitive: h.sensitive,
      })),
    },
    relationships: { account: { data: { type: 'accounts', id: 'acc-standin' } } },
  };
}

function tokenDocument(token: StoredToken, withValue: boolean): Record<string, unknown> {
  return {
    type: 'access-tokens',
    id: token.id,
    attributes: {
      'created-at': '2026-12-04T00:00:00Z',
      description: token.description,
      // The value only in the answer that created it.
      ...(withValue ? { token: token.token } : {}),
    },
  };
}

function error(status: number, title: string, detail: string): Answer {
  return { status, body: { errors: [{ status: String(status), title, detail }] } };
}

function invalid(pointer: string, detail: string): Answer {
  return {
    status: 422,
    body: { errors: [{ status: '422', title: 'Unprocessable Entity', detail, source: { pointer } }] },
  };
}

function notFound(what: string, id: string): Answer {
  return error(404, 'Not Found', `${what} with ID '${id}' not found or user unauthorized.`);
}

function statusTitle(status: number): string {
  return status === 429 ? 'Too Many Requests' : status >= 500 ? 'Internal Server Error' : 'Error';
}

function newId(prefix: string): string {
  return `${prefix}-${randomBytes(8).toString('hex').slice(0, 14)}`;
}
