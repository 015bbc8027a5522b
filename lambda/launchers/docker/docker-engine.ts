import { request as httpRequest } from 'node:http';
import type { DockerEndpoint } from './docker-config.js';

/** One answer of the Engine API, body read in full. */
export interface EngineAnswer {
  readonly status: number;
  readonly body: string;
}

/** Connection failures that mean "nothing answers there right now": a stopped or restarting engine. */
const ENGINE_DOWN = new Set(['ENOENT', 'ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
/** The engine dropped a call it had accepted (it stopped or restarted meanwhile); another try is safe. */
const CONNECTION_LOST = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED']);
/** Failures that waiting cannot fix: the socket is not ours to use, or the host name does not exist. */
const WRONG_SETTING = new Set(['EACCES', 'EPERM', 'ENOTFOUND', 'ENOTSOCK']);

/**
 * The engine could not be reached, or dropped the connection. `kind` tells the launcher what to do:
 * `down` and `lost` are temporary (the engine is stopped or restarting), `setting` needs the operator.
 */
export class EngineUnreachableError extends Error {
  readonly kind: 'down' | 'lost' | 'setting';
  constructor(
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(`the Docker engine could not be reached (${code})`, options);
    this.name = 'EngineUnreachableError';
    this.kind = WRONG_SETTING.has(code) ? 'setting' : CONNECTION_LOST.has(code) ? 'lost' : 'down';
  }
}

/** The call was aborted by its signal: the request's deadline (or the attempt's timeout) came first. */
export class EngineTimeoutError extends Error {
  constructor(
    readonly what: string,
    options?: { cause?: unknown },
  ) {
    super(`the Docker engine did not answer ${what} in time`, options);
    this.name = 'EngineTimeoutError';
  }
}

/** Largest answer read; progress streams of big pulls are long but their lines are small. */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

/**
 * A minimal Docker Engine API client over node:http (unix socket or TCP), so the local target needs
 * no extra dependency. Paths carry no version prefix: the engine then uses its own current version.
 * Every call takes an AbortSignal (the request's deadline): a hung engine, or a pull whose progress
 * stream never ends, is cut off there instead of holding the request.
 */
export class DockerEngine {
  constructor(private readonly endpoint: DockerEndpoint) {}

  call(method: string, path: string, options: { body?: unknown; signal: AbortSignal }) {
    const { signal } = options;
    const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
    const where =
      this.endpoint.kind === 'unix'
        ? { socketPath: this.endpoint.socketPath }
        : { host: this.endpoint.host, port: this.endpoint.port };
    const what = `${method} ${path.split('?')[0]}`;
    return new Promise<EngineAnswer>((resolve, reject) => {
      const fail = (error: NodeJS.ErrnoException) => reject(classify(error, signal, what));
      const req = httpRequest(
        {
          ...where,
          method,
          path,
          signal,
          headers: {
            host: 'docker',
            ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size <= MAX_ANSWER_BYTES) chunks.push(chunk);
          });
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', fail);
          // A connection closed before the answer ended is a lost call, even without an 'error'.
          res.on('close', () => {
            if (!res.complete) fail(Object.assign(new Error('answer cut off'), { code: 'ECONNRESET' }));
          });
        },
      );
      req.on('error', fail);
      req.end(payload);
    });
  }
}

/** What the launcher needs of an engine client; tests pass a fake. */
export type EngineApi = Pick<DockerEngine, 'call'>;

function classify(error: NodeJS.ErrnoException, signal: AbortSignal, what: string): Error {
  if (signal.aborted || error.name === 'AbortError') return new EngineTimeoutError(what, { cause: error });
  const code = error.code;
  if (code !== undefined && (ENGINE_DOWN.has(code) || CONNECTION_LOST.has(code) || WRONG_SETTING.has(code))) {
    return new EngineUnreachableError(code, { cause: error });
  }
  return error;
}

/** The `message` of an Engine error answer, shortened, or the status. */
export function engineMessage(answer: EngineAnswer): string {
  try {
    const message = (JSON.parse(answer.body) as { message?: unknown }).message;
    if (typeof message === 'string') return message.slice(0, 300);
  } catch {
    // not JSON: fall through to the status
  }
  return `HTTP ${answer.status}`;
}
