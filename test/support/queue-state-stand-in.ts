import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the stand-in answers one queue-state call. */
export type QueueAnswer =
  | { kind: 'count'; pendingCount: number }
  /** Any JSON body, e.g. `{}` (pendingCount missing) or `{"pendingCount":"3"}`. */
  | { kind: 'body'; body: string }
  | { kind: 'status'; status: number }
  /** Headers never come: the client's deadline must end the call. */
  | { kind: 'hang' }
  /** Headers come, the body never ends. */
  | { kind: 'trickle' };

/**
 * env0's `GET /deployment-tasks/queue-state` on 127.0.0.1: answers `{"pendingCount": n}` to the
 * right `Authorization` header and 401 to any other, like env0 does to a wrong or revoked token.
 * `next` queues one-off answers (faults) ahead of the steady `pendingCount`.
 */
export class QueueStateStandIn {
  pendingCount = 0;
  calls = 0;
  readonly next: QueueAnswer[] = [];
  private server: Server | undefined;

  constructor(readonly token: string) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      this.calls++;
      if (req.url !== '/deployment-tasks/queue-state' || req.method !== 'GET') {
        res.writeHead(404).end();
        return;
      }
      if (req.headers.authorization !== this.token) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"message":"Unauthorized"}');
        return;
      }
      const answer = this.next.shift() ?? { kind: 'count', pendingCount: this.pendingCount };
      if (answer.kind === 'hang') return;
      if (answer.kind === 'trickle') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"pendingCount":');
        return;
      }
      if (answer.kind === 'status') {
        res.writeHead(answer.status, { 'content-type': 'text/plain' }).end('upstream error');
        return;
      }
      const body =
        answer.kind === 'body' ? answer.body : JSON.stringify({ pendingCount: answer.pendingCount });
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/deployment-tasks/queue-state`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
