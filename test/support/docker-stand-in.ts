import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type DockerOperation = 'inspectImage' | 'pull' | 'create' | 'inspectContainer' | 'start';

export interface DockerStandInOptions {
  /** Images the engine already has, as referenced (`scalr/agent:latest`). */
  readonly images?: readonly string[];
  /** Whether a pull of `repository:tag` succeeds; true by default. */
  readonly pullable?: (reference: string) => boolean;
  /** A status to answer the n-th call (1-based) of an operation with, instead of doing it. */
  readonly faultFor?: (operation: DockerOperation, n: number) => number | undefined;
}

export interface StandInContainer {
  readonly id: string;
  readonly name: string;
  /** The create body as received: Image, Env, Labels, HostConfig. */
  readonly spec: { Image: string; Env: string[]; Labels: Record<string, string>; HostConfig: unknown };
  status: 'created' | 'running';
}

/**
 * A local stand-in of the Docker Engine API on a unix socket in a temp dir: image inspect and pull,
 * container create (409 on a taken name), inspect and start (304 when already started).
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

  constructor(private readonly options: DockerStandInOptions = {}) {
    this.images = new Set(options.images ?? []);
  }

  /** Listens on a unix socket in a temp dir, or with `tcp` on 127.0.0.1; returns the DOCKER_HOST. */
  async start(options: { tcp?: boolean } = {}): Promise<string> {
    this.dir = await mkdtemp(join(tmpdir(), 'docker-stand-in-'));
    this.socketPath = join(this.dir, 'docker.sock');
    const server = createServer((req, res) => {
      this.route(req, res).catch(() => this.send(res, 500, { message: 'stand-in failure' }));
    });
    this.server = server;
    if (options.tcp) {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `tcp://127.0.0.1:${(server.address() as AddressInfo).port}`;
    }
    await new Promise<void>((resolve) => server.listen(this.socketPath, resolve));
    return `unix://${this.socketPath}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    await rm(this.dir, { recursive: true, force: true });
  }

  /** The agent finished: with AutoRemove, Docker deletes the container. */
  exit(name: string): void {
    this.containers.delete(name);
  }

  private find(idOrName: string): StandInContainer | undefined {
    return this.containers.get(idOrName) ?? [...this.containers.values()].find((c) => c.id === idOrName);
  }

  private send(res: ServerResponse, status: number, body?: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  }

  private count(operation: DockerOperation): number | undefined {
    this.calls[operation]++;
    return this.options.faultFor?.(operation, this.calls[operation]);
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
      const fault = this.count('inspectImage');
      if (fault) return this.send(res, fault, { message: 'injected' });
      const reference = decodeURIComponent(imageJson[1] ?? '');
      return this.images.has(reference)
        ? this.send(res, 200, { Id: `sha256:${randomBytes(32).toString('hex')}` })
        : this.send(res, 404, { message: `No such image: ${reference}` });
    }
    if (req.method === 'POST' && path === '/images/create') {
      const fault = this.count('pull');
      if (fault) return this.send(res, fault, { message: 'injected' });
      const repository = url.searchParams.get('fromImage') ?? '';
      const tag = url.searchParams.get('tag') ?? 'latest';
      const reference = tag.startsWith('sha256:') ? `${repository}@${tag}` : `${repository}:${tag}`;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(`${JSON.stringify({ status: `Pulling from ${repository}`, id: tag })}\n`);
      if (this.options.pullable?.(reference) ?? true) {
        this.images.add(reference);
        res.end(`${JSON.stringify({ status: `Status: Downloaded newer image for ${reference}` })}\n`);
      } else {
        const message = `pull access denied for ${repository}, repository does not exist`;
        res.end(`${JSON.stringify({ errorDetail: { message }, error: message })}\n`);
      }
      return;
    }
    if (req.method === 'POST' && path === '/containers/create') {
      const fault = this.count('create');
      if (fault) return this.send(res, fault, { message: 'injected' });
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
      const fault = this.count('inspectContainer');
      if (fault) return this.send(res, fault, { message: 'injected' });
      const container = this.find(decodeURIComponent(containerJson[1] ?? ''));
      if (!container) return this.send(res, 404, { message: 'No such container' });
      return this.send(res, 200, {
        Id: container.id,
        Name: `/${container.name}`,
        State: { Status: container.status },
      });
    }
    if (req.method === 'POST' && containerStart) {
      const fault = this.count('start');
      if (fault) return this.send(res, fault, { message: 'injected' });
      const container = this.find(decodeURIComponent(containerStart[1] ?? ''));
      if (!container) return this.send(res, 404, { message: 'No such container' });
      if (container.status === 'running') return this.send(res, 304);
      container.status = 'running';
      return this.send(res, 204);
    }
    return this.send(res, 404, { message: `page not found: ${req.method} ${path}` });
  }
}
