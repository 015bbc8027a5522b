import { Agent, request } from 'node:http';

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

  constructor(maxSockets = 128) {
    this.agent = new Agent({ keepAlive: true, maxSockets });
  }

  send(url: string, post: Post, timeoutMs = 30_000): Promise<Answer> {
    return new Promise((resolve) => {
      const req = request(
        url,
        { method: post.method ?? 'POST', headers: post.headers, agent: this.agent, timeout: timeoutMs },
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
