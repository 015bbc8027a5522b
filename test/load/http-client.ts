import { Agent, request } from 'node:http';
import { connect } from 'node:net';

/** One HTTP answer as a sender sees it; status 0 means no answer at all (connection lost). */
export interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

export interface Post {
  readonly method?: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** Keep-alive client, as a webhook sender would use: sockets are reused across deliveries. */
export class HttpClient {
  private readonly agent: Agent;

  constructor(maxSockets = 1_024) {
    this.agent = new Agent({ keepAlive: true, maxSockets });
  }

  send(url: string, post: Post, timeoutMs = 30_000): Promise<Answer> {
    // Node's client refuses control characters in headers; a hostile sender would not, so write raw.
    const printable = Object.values(post.headers).every((value) => /^[\t\x20-\x7e\x80-\xff]*$/.test(value));
    if (!printable) return sendRaw(url, post, timeoutMs);
    return new Promise((resolve) => {
      const req = request(
        url,
        {
          method: post.method ?? 'POST',
          headers: { ...post.headers, 'content-length': String(post.body.length) },
          agent: this.agent,
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          res.on('error', () => resolve({ status: 0, headers: {}, body: '' }));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => resolve({ status: 0, headers: {}, body: '' }));
      req.end(post.body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** One request written byte for byte on its own connection; only the status line is read back. */
function sendRaw(url: string, post: Post, timeoutMs: number): Promise<Answer> {
  const target = new URL(url);
  const head = [
    `${post.method ?? 'POST'} ${target.pathname} HTTP/1.1`,
    `host: ${target.host}`,
    'connection: close',
    `content-length: ${post.body.length}`,
    ...Object.entries(post.headers).map(([name, value]) => `${name}: ${value}`),
  ].join('\r\n');
  return new Promise((resolve) => {
    const socket = connect(Number(target.port), target.hostname);
    const chunks: Buffer[] = [];
    socket.setTimeout(timeoutMs, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), headers: {}, body: text });
    });
    socket.on('error', () => undefined);
    socket.end(Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'latin1'), post.body]));
  });
}
