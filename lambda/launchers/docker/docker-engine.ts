import { request as httpRequest } from 'node:http';
import type { DockerEndpoint } from './docker-config.js';

/** One answer of the Engine API, body read in full. */
export interface EngineAnswer {
  readonly status: number;
  readonly body: string;
}

/** The socket or port did not answer at all: no engine there, or no permission to reach it. */
export class EngineUnreachableError extends Error {
  constructor(
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(`the Docker engine could not be reached (${code})`, options);
    this.name = 'EngineUnreachableError';
  }
}

/** Largest answer read; progress streams of big pulls are long but their lines are small. */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

/**
 * A minimal Docker Engine API client over node:http (unix socket or TCP), so the local target needs
 * no extra dependency. Paths carry no version prefix: the engine then uses its own current version.
 */
export class DockerEngine {
  constructor(private readonly endpoint: DockerEndpoint) {}

  call(method: string, path: string, options: { body?: unknown; signal?: AbortSignal } = {}) {
    const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
    const where =
      this.endpoint.kind === 'unix'
        ? { socketPath: this.endpoint.socketPath }
        : { host: this.endpoint.host, port: this.endpoint.port };
    return new Promise<EngineAnswer>((resolve, reject) => {
      const req = httpRequest(
        {
          ...where,
          method,
          path,
          signal: options.signal,
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
          res.on('error', reject);
        },
      );
      req.on('error', (error: NodeJS.ErrnoException) => {
        const unreachable = ['ENOENT', 'ECONNREFUSED', 'EACCES', 'EPERM', 'ENOTFOUND', 'EHOSTUNREACH'];
        if (error.code !== undefined && unreachable.includes(error.code)) {
          reject(new EngineUnreachableError(error.code, { cause: error }));
        } else {
          reject(error);
        }
      });
      req.end(payload);
    });
  }
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
