import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';

export type AzureOperation =
  | 'Token'
  | 'GetJob'
  | 'StartJob'
  | 'ListExecutions'
  | 'GetExecution'
  | 'GetWebIdentityToken';

/** A fault the stand-in answers one call with, instead of serving it. */
export type AzureFault =
  | { kind: 'status'; status: number; code: string; message?: string; retryAfter?: string }
  /** Starts the execution, then cuts the connection: a start whose answer is lost. */
  | { kind: 'start-then-drop' }
  /** Serves the call normally after a pause: a launch still in flight. */
  | { kind: 'delay'; ms: number }
  /** Serves the call normally once `until` settles: a launch in flight for as long as the test says. */
  | { kind: 'held'; until: Promise<unknown> }
  /**
   * StartJob only (ignored elsewhere): creates the execution, then answers `status` (500 by default),
   * with a Retry-After header when `retryAfter` is set. Work done, the answer says it failed.
   */
  | { kind: 'start-then-5xx'; status?: 500 | 502 | 503 | 504; retryAfter?: string }
  /**
   * Never answers: the request stays open until the client aborts it or the stand-in stops.
   * On StartJob, `work: true` creates the execution first; by default nothing is done.
   */
  | { kind: 'hang'; work?: boolean };

export interface Execution {
  readonly name: string;
  readonly id: string;
  /** When the start created it (epoch ms); absent (pushed by a test) counts as long ago. */
  readonly startedAt?: number;
  readonly template: {
    containers?: { name?: string; env?: { name?: string; value?: string; secretRef?: string }[] }[];
  };
  /** ARM's running state (`Running` until a test says otherwise) and when it ended (epoch ms). */
  status?: 'Processing' | 'Running' | 'Succeeded' | 'Failed' | 'Stopped';
  endedAt?: number;
}

export interface AzureStandInOptions {
  readonly tenantId: string;
  readonly clientId: string;
  /** For AZURE_AUTH=client-secret; absent: only federated assertions are accepted. */
  readonly clientSecret?: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly jobName: string;
  /** The job's template as ARM returns it. */
  readonly jobTemplate: Record<string, unknown>;
  /** The job's location as ARM writes it for Microsoft.App (display form). Default `West Europe`. */
  readonly location?: string;
  /** Lifetime of Entra access tokens and STS JWTs, in seconds. */
  tokenSeconds?: number;
  jwtSeconds?: number;
  /** How a successful start is answered: 200 with the execution, or 202 with Location. */
  startMode?: '200' | '202-with-body' | '202-no-body';
  faultFor?: (operation: AzureOperation, n: number) => AzureFault | undefined;
  /**
   * ListExecutions pages this many executions at a time (newest first), with an absolute `nextLink`
   * back to the stand-in (`api-version` and `$skiptoken`). Default: everything on one page.
   */
  listPageSize?: number;
  /** Read lag: an execution appears in ListExecutions only this many ms after its start. Default 0. */
  listLagMs?: number;
  /** Read lag of GET .../executions/{name}: 404 until this many ms after the start. Default 0. */
  getLagMs?: number;
}

/** The knobs `AzureStandIn.badDay()` sets; everything else keeps its default. */
export type AzureBadDayOptions = Partial<AzureStandInOptions>;

const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/**
 * One local HTTPS server standing in for Entra ID's token endpoint, Azure Resource Manager
 * (Container Apps jobs) and AWS STS GetWebIdentityToken (query protocol, XML). The real
 * `@azure/identity`, `@azure/arm-appcontainers` and `@aws-sdk/client-sts` talk to it over TLS with
 * a certificate trusted through NODE_EXTRA_CA_CERTS.
 */
export class AzureStandIn {
  readonly executions: Execution[] = [];
  readonly calls: Record<AzureOperation, number> = {
    Token: 0,
    GetJob: 0,
    StartJob: 0,
    ListExecutions: 0,
    GetExecution: 0,
    GetWebIdentityToken: 0,
  };
  /** Status of an execution as GET .../executions/{name} reports it; default `Running`. */
  statusOf: (execution: Execution) => string = () => 'Running';
  /** Every request body and authorization header seen, to check no secret travels where it should not. */
  readonly seen: string[] = [];
  readonly unknownPaths: string[] = [];
  /** Every ARM request (`/subscriptions/...`) in arrival order, as `METHOD path?api-version=...`. */
  readonly armRequests: string[] = [];
  private readonly jwts = new Map<string, number>();
  private readonly accessTokens = new Map<string, number>();
  private server: Server | undefined;
  private base = '';

  constructor(readonly options: AzureStandInOptions) {}

  /**
   * ARM on a bad day: the executions list pages one execution at a time (`listPageSize: 1`) and an
   * execution shows up in it only 300 ms after its start (`listLagMs`). `overrides` win; the result
   * is meant for `new AcaRig(AzureStandIn.badDay())` or spreading into the constructor's options.
   */
  static badDay(overrides: AzureBadDayOptions = {}): AzureBadDayOptions {
    return { listPageSize: 1, listLagMs: 300, ...overrides };
  }

  async start(): Promise<string> {
    const key = process.env.TEST_TLS_KEY;
    const cert = process.env.TEST_TLS_CERT;
    if (key === undefined || cert === undefined) throw new Error('TLS fixture missing: run through vitest');
    this.server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
      void this.route(req, res).catch((error: unknown) => {
        if (!res.headersSent)
          this.json(res, 500, { error: { code: 'StandInError', message: String(error) } });
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.base = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.base;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  get jobPath(): string {
    const o = this.options;
    return `/subscriptions/${o.subscriptionId}/resourceGroups/${o.resourceGroup}/providers/Microsoft.App/jobs/${o.jobName}`;
  }

  /** Executions whose agent container carries the given variable value. */
  executionsWith(name: string, value: string): Execution[] {
    return this.executions.filter((execution) =>
      execution.template.containers?.some((c) => c.env?.some((v) => v.name === name && v.value === value)),
    );
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    this.seen.push(`${req.headers.authorization ?? ''} ${body}`);
    const url = new URL(req.url ?? '/', this.base);
    const path = url.pathname;
    if (req.method === 'POST' && path === '/' && body.includes('Action=GetWebIdentityToken')) {
      return this.sts(res, new URLSearchParams(body));
    }
    if (req.method === 'POST' && path === `/${this.options.tenantId}/oauth2/v2.0/token`) {
      return this.token(res, new URLSearchParams(body));
    }
    if (req.method === 'GET' && path === `/${this.options.tenantId}/v2.0/.well-known/openid-configuration`) {
      return this.json(res, 200, this.openIdConfiguration());
    }
    if (path.startsWith('/subscriptions/')) return this.arm(req, res, url, body);
    this.unknownPaths.push(`${req.method} ${path}`);
    return this.json(res, 404, { error: { code: 'NotFound', message: `no route ${path}` } });
  }

  private openIdConfiguration(): Record<string, unknown> {
    const tenant = `${this.base}/${this.options.tenantId}`;
    return {
      token_endpoint: `${tenant}/oauth2/v2.0/token`,
      authorization_endpoint: `${tenant}/oauth2/v2.0/authorize`,
      issuer: `${tenant}/v2.0`,
      jwks_uri: `${tenant}/discovery/v2.0/keys`,
      end_session_endpoint: `${tenant}/oauth2/v2.0/logout`,
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    };
  }

  private sts(res: ServerResponse, form: URLSearchParams): void {
    const n = ++this.calls.GetWebIdentityToken;
    const fault = this.options.faultFor?.('GetWebIdentityToken', n);
    if (fault?.kind === 'hang') return;
    if (fault?.kind === 'status') {
      res.writeHead(fault.status, { 'content-type': 'text/xml' });
      res.end(
        `<ErrorResponse xmlns="${STS_NS}"><Error><Type>Sender</Type><Code>${fault.code}</Code><Message>${fault.message ?? fault.code}</Message></Error><RequestId>req-${n}</RequestId></ErrorResponse>`,
      );
      return;
    }
    const seconds = this.options.jwtSeconds ?? Number(form.get('DurationSeconds') ?? 300);
    const expiresAt = Date.now() + seconds * 1000;
    const jwt = [
      base64url({ alg: form.get('SigningAlgorithm'), typ: 'JWT', kid: 'stand-in' }),
      base64url({
        iss: 'https://stand-in.tokens.sts.global.api.aws',
        sub: 'arn:aws:iam::123456789012:role/dispatcher',
        aud: form.get('Audience.member.1'),
        exp: Math.floor(expiresAt / 1000),
      }),
      randomBytes(24).toString('base64url'),
    ].join('.');
    this.jwts.set(jwt, expiresAt);
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.end(
      `<GetWebIdentityTokenResponse xmlns="${STS_NS}"><GetWebIdentityTokenResult><WebIdentityToken>${jwt}</WebIdentityToken><Expiration>${new Date(expiresAt).toISOString()}</Expiration></GetWebIdentityTokenResult><ResponseMetadata><RequestId>req-${n}</RequestId></ResponseMetadata></GetWebIdentityTokenResponse>`,
    );
  }

  private token(res: ServerResponse, form: URLSearchParams): undefined {
    const n = ++this.calls.Token;
    const fault = this.options.faultFor?.('Token', n);
    if (fault?.kind === 'hang') return;
    const refuse = (code: string, description: string) =>
      this.json(res, 401, { error: code, error_description: description, error_codes: [700213] });
    if (fault?.kind === 'status') {
      return this.json(res, fault.status, {
        error: fault.code,
        error_description: fault.message ?? fault.code,
      });
    }
    if (form.get('grant_type') !== 'client_credentials' || form.get('client_id') !== this.options.clientId) {
      return refuse('unauthorized_client', 'AADSTS700016: Application not found in the directory.');
    }
    // Entra ID issues a token for the resource the client names: ARM here is this stand-in.
    if (form.get('scope') !== `${this.base}/.default`) {
      return this.json(res, 400, {
        error: 'invalid_scope',
        error_description: `AADSTS70011: The provided value for scope ${form.get('scope')} is not valid.`,
      });
    }
    const assertion = form.get('client_assertion');
    if (assertion !== null) {
      const expiresAt = this.jwts.get(assertion);
      const type = form.get('client_assertion_type');
      if (expiresAt === undefined || expiresAt <= Date.now() || !type?.endsWith(':jwt-bearer')) {
        return refuse('invalid_client', 'AADSTS700213: No matching federated identity record found.');
      }
    } else if (
      this.options.clientSecret === undefined ||
      form.get('client_secret') !== this.options.clientSecret
    ) {
      return refuse('invalid_client', 'AADSTS7000215: Invalid client secret provided.');
    }
    const seconds = this.options.tokenSeconds ?? 3600;
    const accessToken = `at-${randomBytes(16).toString('hex')}`;
    this.accessTokens.set(accessToken, Date.now() + seconds * 1000);
    return this.json(res, 200, {
      token_type: 'Bearer',
      expires_in: seconds,
      ext_expires_in: seconds,
      access_token: accessToken,
    });
  }

  private async arm(req: IncomingMessage, res: ServerResponse, url: URL, body: string): Promise<undefined> {
    const path = url.pathname;
    this.armRequests.push(`${req.method} ${path}?api-version=${url.searchParams.get('api-version') ?? ''}`);
    const operation: AzureOperation | undefined =
      req.method === 'GET' && path === this.jobPath
        ? 'GetJob'
        : req.method === 'POST' && path === `${this.jobPath}/start`
          ? 'StartJob'
          : req.method === 'GET' && path === `${this.jobPath}/executions`
            ? 'ListExecutions'
            : req.method === 'GET' && path.startsWith(`${this.jobPath}/executions/`)
              ? 'GetExecution'
              : undefined;
    if (operation === undefined) {
      this.unknownPaths.push(`${req.method} ${path}`);
      return this.json(res, 404, {
        error: { code: 'ResourceNotFound', message: `The resource ${path} was not found.` },
      });
    }
    const n = ++this.calls[operation];
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const expiresAt = token === undefined ? undefined : this.accessTokens.get(token);
    if (expiresAt === undefined || expiresAt <= Date.now()) {
      return this.json(res, 401, {
        error: { code: 'InvalidAuthenticationToken', message: 'The access token is invalid or expired.' },
      });
    }
    const fault = this.options.faultFor?.(operation, n);
    if (fault?.kind === 'hang' && !(operation === 'StartJob' && fault.work)) return;
    if (fault?.kind === 'delay') await new Promise((resolve) => setTimeout(resolve, fault.ms));
    if (fault?.kind === 'held') await fault.until;
    if (fault?.kind === 'status') {
      const headers: Record<string, string> =
        fault.retryAfter === undefined ? {} : { 'retry-after': fault.retryAfter };
      return this.json(
        res,
        fault.status,
        { error: { code: fault.code, message: fault.message ?? fault.code } },
        headers,
      );
    }
    if (operation === 'GetJob') {
      return this.json(res, 200, {
        id: this.jobPath,
        name: this.options.jobName,
        type: 'Microsoft.App/jobs',
        location: this.options.location ?? 'West Europe',
        properties: { configuration: { triggerType: 'Manual' }, template: this.options.jobTemplate },
      });
    }
    if (operation === 'ListExecutions') return this.listExecutions(res, url);
    if (operation === 'GetExecution') {
      const wanted = decodeURIComponent(path.slice(`${this.jobPath}/executions/`.length));
      const found = this.executions.find((execution) => execution.name === wanted);
      const lagging =
        found !== undefined && Date.now() - (found.startedAt ?? 0) < (this.options.getLagMs ?? 0);
      const e = lagging ? undefined : found;
      if (e === undefined) {
        return this.json(res, 404, {
          error: { code: 'ResourceNotFound', message: `The execution ${wanted} was not found.` },
        });
      }
      return this.json(res, 200, {
        id: e.id,
        name: e.name,
        type: 'Microsoft.App/jobs/executions',
        properties: {
          status: e.status ?? this.statusOf(e),
          startTime: new Date(e.startedAt ?? 0).toISOString(),
          ...(e.endedAt === undefined ? {} : { endTime: new Date(e.endedAt).toISOString() }),
          template: e.template,
        },
      });
    }
    const name = `${this.options.jobName}-${randomBytes(4).toString('hex')}`;
    const execution: Execution = {
      name,
      id: `${this.jobPath}/executions/${name}`,
      startedAt: Date.now(),
      template: body === '' ? {} : (JSON.parse(body) as Execution['template']),
    };
    this.executions.push(execution);
    if (fault?.kind === 'start-then-drop') {
      res.socket?.destroy();
      return;
    }
    if (fault?.kind === 'hang') return;
    if (fault?.kind === 'start-then-5xx') {
      const status = fault.status ?? 500;
      const headers: Record<string, string> =
        fault.retryAfter === undefined ? {} : { 'retry-after': fault.retryAfter };
      const code = {
        500: 'InternalServerError',
        502: 'BadGateway',
        503: 'ServiceUnavailable',
        504: 'GatewayTimeout',
      }[status];
      return this.json(
        res,
        status,
        { error: { code, message: 'The request failed; please retry.' } },
        headers,
      );
    }
    const mode = this.options.startMode ?? '200';
    if (mode === '200') return this.json(res, 200, { name: execution.name, id: execution.id });
    const location = `${this.base}/subscriptions/${this.options.subscriptionId}/providers/Microsoft.App/locations/westeurope/containerappOperationResults/${name}?api-version=${url.searchParams.get('api-version') ?? ''}`;
    const headers = { location, 'retry-after': '1' };
    if (mode === '202-with-body')
      return this.json(res, 202, { name: execution.name, id: execution.id }, headers);
    res.writeHead(202, headers);
    res.end();
    return;
  }

  /**
   * GET .../executions: newest first, executions younger than `listLagMs` left out, pages of
   * `listPageSize` continued by an absolute `nextLink` whose `$skiptoken` is the creation index of the
   * last execution served (so executions started meanwhile do not shift later pages).
   */
  private listExecutions(res: ServerResponse, url: URL): undefined {
    const apiVersion = url.searchParams.get('api-version');
    if (apiVersion === null) {
      return this.json(res, 400, {
        error: {
          code: 'MissingApiVersionParameter',
          message: 'The api-version query parameter (?api-version=) is required for all requests.',
        },
      });
    }
    const skip = url.searchParams.get('$skiptoken');
    const before = skip === null ? this.executions.length : Number(skip);
    if (!Number.isInteger(before) || before < 0) {
      return this.json(res, 400, {
        error: { code: 'InvalidSkipToken', message: `Invalid $skiptoken ${skip}` },
      });
    }
    const now = Date.now();
    const lag = this.options.listLagMs ?? 0;
    const size = this.options.listPageSize ?? Number.POSITIVE_INFINITY;
    const value: Record<string, unknown>[] = [];
    let last = before;
    for (let i = Math.min(before, this.executions.length) - 1; i >= 0; i--) {
      const e = this.executions[i] as Execution;
      if (now - (e.startedAt ?? 0) < lag) continue;
      if (value.length >= size) {
        const next = new URL(`${this.base}${this.jobPath}/executions`);
        next.searchParams.set('api-version', apiVersion);
        next.searchParams.set('$skiptoken', String(last));
        return this.json(res, 200, { value, nextLink: next.toString() });
      }
      value.push({
        id: e.id,
        name: e.name,
        type: 'Microsoft.App/jobs/executions',
        properties: {
          status: 'Running',
          startTime: new Date(e.startedAt ?? 0).toISOString(),
          template: e.template,
        },
      });
      last = i;
    }
    return this.json(res, 200, { value });
  }

  private json(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): undefined {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(body));
    return undefined;
  }
}
