/**
 * A small client of the Scalr API (`/api/iacp/v3/`, JSON:API) for agent pools and their tokens, in
 * the shapes of Scalr's Go client (github.com/Scalr/go-scalr: scalr.go, agent_pool.go,
 * agent_pool_token.go, access_token.go). Every call has a deadline; 429 waits for `Retry-After`;
 * 5xx, lost answers and timeouts are retried only where repeating the call is harmless (GET, PATCH,
 * DELETE): a POST that may have applied is left to the caller, which looks before it creates again.
 */

/** `fetch` as the client uses it (injected: tests point it at the stand-in). */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** One header of the pool's webhook (`webhook-headers`); Scalr never returns a sensitive value. */
export interface PoolHeader {
  readonly name: string;
  readonly value: string | null;
  readonly sensitive: boolean;
}

/** An agent pool as the API describes it (`agent-pools`). */
export interface AgentPool {
  readonly id: string;
  readonly name: string;
  readonly webhookEnabled: boolean;
  readonly webhookUrl: string;
  readonly webhookHeaders: readonly PoolHeader[];
}

/** The serverless settings written on a pool. */
export interface PoolWebhook {
  readonly enabled: boolean;
  readonly url: string;
  readonly headers: readonly { name: string; value: string; sensitive: boolean }[];
}

/** An access token of a pool (`access-tokens`); `token` is only in the answer that created it. */
export interface PoolToken {
  readonly id: string;
  readonly description: string;
  readonly token?: string;
}

/** Scalr refused or failed a call; the message names the call, the status and what to do. */
export class ScalrApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    /** The call may have been applied: its answer was lost (timeout, cut connection, 5xx). */
    readonly uncertain: boolean,
  ) {
    super(message);
    this.name = 'ScalrApiError';
  }
}

export interface ScalrApiOptions {
  /** Account URL, `https://<account>.scalr.io`. */
  readonly url: string;
  /** The API token, sent as `Authorization: Bearer <token>`; never logged nor put in an error. */
  readonly token: string;
  readonly fetch?: FetchLike;
  /** Limit of one HTTP call. @default 10000 */
  readonly callTimeoutMs?: number;
  /** Attempts of one call (429, and 5xx/timeouts of idempotent calls). @default 5 */
  readonly attempts?: number;
  /** Milliseconds left for the whole job; no retry waits past it. */
  readonly remainingMs?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Rows per page of list calls (`page[size]`). @default 100 */
  readonly pageSize?: number;
}

/** The Scalr permission each call needs, for 403 messages (docs.scalr.io, "Agent Pools": Permissions). */
const PERMISSION: Record<string, string> = {
  'GET agent-pools': 'agent-pools:read',
  'POST agent-pools': 'agent-pools:create',
  'PATCH agent-pools': 'agent-pools:update',
  'DELETE agent-pools': 'agent-pools:delete',
  'GET access-tokens': 'agent-pools:read',
  'POST access-tokens': 'agent-pools:update',
  'DELETE access-tokens': 'agent-pools:update',
};

const MEDIA = 'application/vnd.api+json';
const MAX_RETRY_AFTER_MS = 30_000;
/** Time kept back so a failure is still reported before the function's own timeout. */
const MARGIN_MS = 3_000;

type Json = Record<string, unknown>;

export class ScalrApi {
  private readonly base: string;
  private readonly fetch: FetchLike;
  private readonly callTimeoutMs: number;
  private readonly attempts: number;
  private readonly remainingMs: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly pageSize: number;

  constructor(private readonly options: ScalrApiOptions) {
    this.base = `${options.url.replace(/\/+$/, '')}/api/iacp/v3/`;
    this.fetch = options.fetch ?? ((url, init) => fetch(url, init));
    this.callTimeoutMs = options.callTimeoutMs ?? 10_000;
    this.attempts = options.attempts ?? 5;
    this.remainingMs = options.remainingMs ?? (() => Number.POSITIVE_INFINITY);
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.pageSize = options.pageSize ?? 100;
  }

  /** The pool, or undefined when it does not exist (404). */
  async readPool(id: string): Promise<AgentPool | undefined> {
    const doc = await this.call('GET', `agent-pools/${encodeURIComponent(id)}`, 'agent-pools', {
      notFound: true,
    });
    return doc === undefined ? undefined : toPool(doc.data as Json);
  }

  /** Pools named exactly `name` (the filter is applied again here: only an exact match counts). */
  async findPoolsByName(name: string): Promise<AgentPool[]> {
    const rows = await this.list('agent-pools', 'agent-pools', { 'filter[name]': name });
    return rows.map(toPool).filter((pool) => pool.name === name);
  }

  /** POST agent-pools: not retried on an uncertain failure (the caller looks first, then again). */
  async createPool(name: string, webhook: PoolWebhook, shared: boolean): Promise<AgentPool> {
    const doc = await this.call('POST', 'agent-pools', 'agent-pools', {
      body: {
        data: {
          type: 'agent-pools',
          attributes: { name, ...(shared ? { 'is-shared': true } : {}), ...webhookAttributes(webhook) },
        },
      },
    });
    return toPool(doc?.data as Json);
  }

  /** PATCH the pool's serverless settings only (name, sharing and workspaces are left as they are). */
  async updatePool(id: string, webhook: PoolWebhook): Promise<AgentPool | undefined> {
    const doc = await this.call('PATCH', `agent-pools/${encodeURIComponent(id)}`, 'agent-pools', {
      body: { data: { type: 'agent-pools', id, attributes: webhookAttributes(webhook) } },
      notFound: true,
    });
    return doc === undefined ? undefined : toPool(doc.data as Json);
  }

  /** DELETE the pool; true when it was there. */
  async deletePool(id: string): Promise<boolean> {
    const doc = await this.call('DELETE', `agent-pools/${encodeURIComponent(id)}`, 'agent-pools', {
      notFound: true,
    });
    return doc !== undefined;
  }

  async listTokens(poolId: string): Promise<PoolToken[]> {
    const rows = await this.list(`agent-pools/${encodeURIComponent(poolId)}/access-tokens`, 'access-tokens');
    return rows.map(toToken);
  }

  /** POST a pool token: its value is in this answer only. Not retried on an uncertain failure. */
  async createToken(poolId: string, description: string): Promise<PoolToken> {
    const doc = await this.call(
      'POST',
      `agent-pools/${encodeURIComponent(poolId)}/access-tokens`,
      'access-tokens',
      { body: { data: { type: 'access-tokens', attributes: { description } } } },
    );
    return toToken(doc?.data as Json);
  }

  async deleteToken(id: string): Promise<boolean> {
    const doc = await this.call('DELETE', `access-tokens/${encodeURIComponent(id)}`, 'access-tokens', {
      notFound: true,
    });
    return doc !== undefined;
  }

  /** Every row of a paged list (`page[number]`, `meta.pagination.next-page`). */
  private async list(path: string, kind: string, query: Record<string, string> = {}): Promise<Json[]> {
    const rows: Json[] = [];
    for (let page = 1, seen = 0; seen < 1000; seen++) {
      const params = new URLSearchParams({
        ...query,
        'page[number]': String(page),
        'page[size]': String(this.pageSize),
      });
      const doc = await this.call('GET', `${path}?${params}`, kind, {});
      rows.push(...((doc?.data as Json[] | undefined) ?? []));
      const next = ((doc?.meta as Json | undefined)?.pagination as Json | undefined)?.['next-page'];
      if (typeof next !== 'number' || next <= page) return rows;
      page = next;
    }
    throw new ScalrApiError(`Scalr listed more than 1000 pages of ${kind}`, 0, false);
  }

  /**
   * One call with its deadline and retries. Answers the JSON:API document, or undefined for a 404
   * when `notFound` allows it (and for a 204).
   */
  private async call(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    kind: string,
    opts: { body?: Json; notFound?: boolean },
  ): Promise<Json | undefined> {
    const what = `${method} ${path.split('?')[0]}`;
    const idempotent = method !== 'POST';
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        response = await this.fetch(this.base + path, {
          method,
          headers: {
            authorization: `Bearer ${this.options.token}`,
            accept: MEDIA,
            ...(opts.body ? { 'content-type': MEDIA } : {}),
          },
          body: opts.body ? JSON.stringify(opts.body) : undefined,
          signal: AbortSignal.timeout(
            Math.max(1, Math.min(this.callTimeoutMs, this.remainingMs() - MARGIN_MS)),
          ),
          redirect: 'error',
        });
      } catch (error) {
        const cause = error instanceof Error ? error.name : 'Error';
        const message = `Scalr did not answer ${what} (${cause === 'TimeoutError' ? `no answer within ${this.callTimeoutMs} ms` : cause}); check scalrUrl and that Scalr is reachable`;
        if (idempotent && (await this.backoff(attempt, 0))) continue;
        throw new ScalrApiError(message, 0, true);
      }
      const status = response.status;
      if (status >= 200 && status < 300) {
        const text = await this.readBody(response, what);
        if (text === '') return undefined;
        try {
          return JSON.parse(text) as Json;
        } catch {
          throw new ScalrApiError(
            `Scalr answered ${what} (${status}) with a body that is not JSON`,
            status,
            !idempotent,
          );
        }
      }
      const detail = await this.errorDetail(response);
      if (status === 404 && opts.notFound) return undefined;
      if (status === 429) {
        const wait = retryAfterMs(response.headers.get('retry-after'));
        if (await this.backoff(attempt, wait)) continue;
        throw new ScalrApiError(
          `Scalr kept throttling ${what} (429)${detail}; deploy again later`,
          429,
          false,
        );
      }
      if (status >= 500) {
        if (idempotent && (await this.backoff(attempt, 0))) continue;
        throw new ScalrApiError(`Scalr failed ${what} (${status})${detail}; deploy again`, status, true);
      }
      throw new ScalrApiError(this.refusal(method, kind, what, status, detail), status, false);
    }
  }

  /** Waits before the next attempt; false when no attempt or no time is left. */
  private async backoff(attempt: number, retryAfter: number): Promise<boolean> {
    if (attempt >= this.attempts) return false;
    const wait = Math.max(retryAfter, Math.min(200 * 2 ** (attempt - 1), 5_000));
    if (wait + this.callTimeoutMs + MARGIN_MS > this.remainingMs()) return false;
    await this.sleep(wait);
    return true;
  }

  private async readBody(response: Response, what: string): Promise<string> {
    try {
      return await response.text();
    } catch (error) {
      // The call applied but its answer was cut: the caller treats it like any lost answer.
      throw new ScalrApiError(
        `Scalr's answer to ${what} was cut (${error instanceof Error ? error.name : 'Error'})`,
        0,
        true,
      );
    }
  }

  /** ` (title: detail)` of Scalr's error document, short; Scalr puts no secret in it. */
  private async errorDetail(response: Response): Promise<string> {
    try {
      const doc = JSON.parse(await response.text()) as { errors?: { title?: string; detail?: string }[] };
      const first = doc.errors?.[0];
      if (!first) return '';
      return `: ${[first.title, first.detail].filter(Boolean).join(': ')}`.slice(0, 300);
    } catch {
      return '';
    }
  }

  private refusal(method: string, kind: string, what: string, status: number, detail: string): string {
    const permission = PERMISSION[`${method} ${kind}`] ?? `${kind}:${method.toLowerCase()}`;
    if (status === 401) {
      return `Scalr rejected the API token for ${what} (401)${detail}: the secret named by scalrApiTokenSecretArn must hold a valid, unexpired Scalr API token of this account (${this.options.url})`;
    }
    if (status === 403) {
      return `Scalr refused ${what} (403)${detail}: the API token lacks the ${permission} permission; grant it to the token's service account (Scalr IAM role on the account)`;
    }
    if (status === 404) return `Scalr has no such resource for ${what} (404)${detail}`;
    return `Scalr refused ${what} (${status})${detail}`;
  }
}

function webhookAttributes(webhook: PoolWebhook): Json {
  return {
    'webhook-enabled': webhook.enabled,
    'webhook-url': webhook.url,
    'webhook-headers': webhook.headers.map((h) => ({ name: h.name, value: h.value, sensitive: h.sensitive })),
  };
}

function toPool(data: Json): AgentPool {
  const attributes = (data?.attributes ?? {}) as Json;
  const headers = (attributes['webhook-headers'] as Json[] | null | undefined) ?? [];
  return {
    id: String(data?.id ?? ''),
    name: String(attributes.name ?? ''),
    webhookEnabled: attributes['webhook-enabled'] === true,
    webhookUrl: typeof attributes['webhook-url'] === 'string' ? attributes['webhook-url'] : '',
    webhookHeaders: headers.map((h) => ({
      name: String(h.name ?? ''),
      value: typeof h.value === 'string' ? h.value : null,
      sensitive: h.sensitive === true,
    })),
  };
}

function toToken(data: Json): PoolToken {
  const attributes = (data?.attributes ?? {}) as Json;
  return {
    id: String(data?.id ?? ''),
    description: typeof attributes.description === 'string' ? attributes.description : '',
    ...(typeof attributes.token === 'string' ? { token: attributes.token } : {}),
  };
}

/** `Retry-After` in seconds or as an HTTP date, capped; 1 s when absent or unreadable. */
function retryAfterMs(header: string | null): number {
  if (header === null) return 1_000;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS) : 1_000;
}
