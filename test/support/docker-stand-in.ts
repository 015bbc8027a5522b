import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type DockerOperation = 'inspectImage' | 'pull' | 'create' | 'inspectContainer' | 'start';

/**
 * What to do instead of the operation: answer a status (with a message), `hang` (never answer),
 * `stall` (answer 200 and one progress line, then never finish, as a stuck pull does) or `reset`
 * (drop the connection, as an engine that stops mid-call does).
 */
export type DockerFault = number | { status: number; message: string } | 'hang' | 'stall' | 'reset';

/** What a pull answers when the registry cannot be reached (Docker answers 500 before streaming). */
export const REGISTRY_UNREACHABLE: DockerFault = {
  status: 500,
  message:
    'Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io on 127.0.0.53:53: no such host',
};
/** What a pull of a tag the registry does not have answers. */
export const MANIFEST_UNKNOWN: DockerFault = {
  status: 404,
  message: 'manifest for example/missing:1.0 not found: manifest unknown: manifest unknown',
};
/** What the engine answers while it restarts. */
export const DAEMON_RESTARTING: DockerFault = { status: 500, message: 'daemon is restarting' };

export interface DockerStandInOptions {
  /** Images the engine already has, as referenced (`scalr/agent:latest`). */
  readonly images?: readonly string[];
  /** Whether a pull of `repository:tag` succeeds; true by default. */
  readonly pullable?: (reference: string) => boolean;
  /** Whether a successful-looking pull stream ends with this error line instead (a failure mid-pull). */
  readonly pullStreamError?: (reference: string) => string | undefined;
  /** A fault for the n-th call (1-based) of an operation, instead of doing it. */
  readonly faultFor?: (operation: DockerOperation, n: number) => DockerFault | undefined;
}

export interface StandInContainer {
  readonly id: string;
  readonly name: string;
  /** The create body as received: Image, Env, Labels, HostConfig. */
  readonly spec: { Image: string; Env: string[]; Labels: Record<string, string>; HostConfig: unknown };
  status: 'created' | 'running' | 'exited';
  /** ISO times as the engine reports them; Docker's zero time until they happen. */
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
}

/** What the engine reports for a time that has not happened. */
const DOCKER_ZERO_TIME = '0001-01-01T00:00:00Z';

/**
 * A local stand-in of the Docker Engine API on a unix socket in a temp dir: image inspect and pull,
 * container create (409 on a taken name), inspect and start (304 when already started). Faults: an
 * engine that is down (`down`/`up`), answers an error, hangs, drops the call, or a pull that fails.
 */
export class DockerStandIn {
  readonly images: Set<string>;
  readonly containers = new Map<string, StandInContainer>();
  readonly calls: Record<DockerOperation, number> = {
    inspectImage: 0,
    pull: 0,
    create: 0,
    inspectContainer: 0,
    start: 0,
  };
  socketPath = '';
  private server: Server | undefined;
  private dir = '';
  private tcpPort: number | undefined;

  constructor(private readonly options: DockerStandInOptions = {}) {
    this.images = new Set(options.images ?? []);
  }

  /** Listens on a unix socket in a temp dir, or with `tcp` on 127.0.0.1; returns the DOCKER_HOST. */
  async start(options: { tcp?: boolean } = {}): Promise<string> {
    this.dir = await mkdtemp(join(tmpdir(), 'docker-stand-in-'));
    this.socketPath = join(this.dir, 'docker.sock');
    if (options.tcp) this.tcpPort = 0;
    await this.up();
    return this.tcpPort === undefined ? `unix://${this.socketPath}` : `tcp://127.0.0.1:${this.tcpPort}`;
  }

  /** The engine stops: the socket file goes away (ENOENT), or the TCP port refuses (ECONNREFUSED). */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** The engine (re)starts on the same socket or port, with the same images and containers. */
  async up(): Promise<void> {
    const server = createServer((req, res) => {
      this.route(req, res).catch(() => this.send(res, 500, { message: 'stand-in failure' }));
    });
    this.server = server;
    if (this.tcpPort !== undefined) {
      await new Promise<void>((resolve) => server.listen(this.tcpPort, '127.0.0.1', resolve));
      this.tcpPort = (server.address() as AddressInfo).port;
    } else {
      await new Promise<void>((resolve) => server.listen(this.socketPath, resolve));
    }
  }

  async stop(): Promise<void> {
    await this.down();
    await rm(this.dir, { recursive: true, force: true });
  }

  /** The agent finished: with AutoRemove, Docker deletes the container. */
  exit(name: string): void {
    this.containers.delete(name);
  }

  /** The agent exits with `exitCode` and the container stays (inspected before AutoRemove deletes it). */
  finish(idOrName: string, exitCode: number): void {
    const container = this.find(idOrName);
    if (container === undefined) throw new Error(`no container ${idOrName}`);
    container.status = 'exited';
    container.finishedAt = new Date().toISOString();
    container.exitCode = exitCode;
  }

  private find(idOrName: string): StandInContainer | undefined {
    return this.containers.get(idOrName) ?? [...this.containers.values()].find((c) => c.id === idOrName);
  }

  private send(res: ServerResponse, status: number, body?: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  }

  /** Counts the call; true when a fault was injected and answered (or deliberately not answered). */
  private faulted(operation: DockerOperation, req: IncomingMessage, res: ServerResponse): boolean {
    this.calls[operation]++;
    const fault = this.options.faultFor?.(operation, this.calls[operation]);
    if (fault === undefined) return false;
    if (fault === 'hang') return true;
    if (fault === 'reset') {
      req.socket.destroy();
    } else if (fault === 'stall') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(`${JSON.stringify({ status: 'Waiting', id: 'layer' })}\n`);
    } else if (typeof fault === 'number') {
      this.send(res, fault, { message: 'injected' });
    } else {
      this.send(res, fault.status, { message: fault.message });
    }
    return true;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
    const url = new URL(req.url ?? '/', 'http://docker');
    const path = url.pathname;
    const imageJson = /^\/images\/(.+)\/json$/.exec(path);
    const containerJson = /^\/containers\/([^/]+)\/json$/.exec(path);
    const containerStart = /^\/containers\/([^/]+)\/start$/.exec(path);

    if (req.method === 'GET' && imageJson) {
      if (this.faulted('inspectImage', req, res)) return;
      const reference = decodeURIComponent(imageJson[1] ?? '');
      return this.images.has(reference)
        ? this.send(res, 200, { Id: `sha256:${randomBytes(32).toString('hex')}` })
        : this.send(res, 404, { message: `No such image: ${reference}` });
    }
    if (req.method === 'POST' && path === '/images/create') {
      if (this.faulted('pull', req, res)) return;
      const repository = url.searchParams.get('fromImage') ?? '';
      const tag = url.searchParams.get('tag') ?? 'latest';
      const reference = tag.startsWith('sha256:') ? `${repository}@${tag}` : `${repository}:${tag}`;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(`${JSON.stringify({ status: `Pulling from ${repository}`, id: tag })}\n`);
      const midway = this.options.pullStreamError?.(reference);
      if (midway !== undefined) {
        res.end(`${JSON.stringify({ errorDetail: { message: midway }, error: midway })}\n`);
      } else if (this.options.pullable?.(reference) ?? true) {
        this.images.add(reference);
        res.end(`${JSON.stringify({ status: `Status: Downloaded newer image for ${reference}` })}\n`);
      } else {
        const message = `pull access denied for ${repository}, repository does not exist`;
        res.end(`${JSON.stringify({ errorDetail: { message }, error: message })}\n`);
      }
      return;
    }
    if (req.method === 'POST' && path === '/containers/create') {
      if (this.faulted('create', req, res)) return;
      const name = url.searchParams.get('name') ?? '';
      if (!this.images.has(body.Image))
        return this.send(res, 404, { message: `No such image: ${body.Image}` });
      if (this.containers.has(name)) {
        return this.send(res, 409, { message: `Conflict. The container name "/${name}" is already in use` });
      }
      const container: StandInContainer = {
        id: randomBytes(32).toString('hex'),
        name,
        spec: body,
        status: 'created',
      };
      this.containers.set(name, container);
      return this.send(res, 201, { Id: container.id, Warnings: [] });
    }
    if (req.method === 'GET' && containerJson) {
      if (this.faulted('inspectContainer', req, res)) return;
      const container = this.find(decodeURIComponent(containerJson[1] ?? ''));
      if (!container) return this.send(res, 404, { message: 'No such container' });
      return this.send(res, 200, {
        Id: container.id,
        Name: `/${container.name}`,
        State: {
          Status: container.status,
          StartedAt: container.startedAt ?? DOCKER_ZERO_TIME,
          FinishedAt: container.finishedAt ?? DOCKER_ZERO_TIME,
          ExitCode: container.exitCode ?? 0,
        },
      });
    }
    if (req.method === 'POST' && containerStart) {
      if (this.faulted('start', req, res)) return;
      const container = this.find(decodeURIComponent(containerStart[1] ?? ''));
      if (!container) return this.send(res, 404, { message: 'No such container' });
      if (container.status === 'running') return this.send(res, 304);
      container.status = 'running';
      container.startedAt = new Date().toISOString();
      return this.send(res, 204);
    }
    return this.send(res, 404, { message: `page not found: ${req.method} ${path}` });
  }
}
