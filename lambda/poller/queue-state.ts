/** env0's queue-state endpoint answered, but not with something that may start agents. */
export class QueueStateError extends Error {
  constructor(
    /** `unauthorized`: wrong or revoked token; `unavailable`: 5xx, 429, hang, network; `invalid`: bad body. */
    readonly kind: 'unauthorized' | 'unavailable' | 'invalid',
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'QueueStateError';
  }
}

export interface QueueStateRequest {
  readonly url: string;
  /** env0 agent access token, sent as the `Authorization` header as is (as KEDA's apiKey/header mode does). */
  readonly token: string;
  /** The whole call (connect, headers, body) is cut off after this long. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  readonly fetch?: typeof fetch;
}

/** Answers this large are not a queue state; reading stops there. */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * `GET <queue-state URL>` and its `pendingCount`, a non-negative integer. Anything else is a
 * QueueStateError whose message names the status and what was wrong, never the token or the body.
 */
export async function readPendingCount(request: QueueStateRequest): Promise<number> {
  const signals = [AbortSignal.timeout(request.timeoutMs), ...(request.signal ? [request.signal] : [])];
  const signal = AbortSignal.any(signals);
  let response: Response;
  let text: string;
  try {
    response = await (request.fetch ?? fetch)(request.url, {
      method: 'GET',
      headers: { authorization: request.token, accept: 'application/json' },
      redirect: 'error',
      signal,
    });
    text = await readCapped(response, signal);
  } catch (error) {
    const timedOut = signal.aborted;
    throw new QueueStateError(
      'unavailable',
      timedOut
        ? `queue-state did not answer within ${request.timeoutMs} ms`
        : `queue-state could not be reached (${(error as Error).name})`,
      undefined,
      { cause: error },
    );
  }
  if (response.status === 401 || response.status === 403) {
    throw new QueueStateError(
      'unauthorized',
      `queue-state answered ${response.status}: the env0 agent access token is wrong or revoked`,
      response.status,
    );
  }
  if (response.status !== 200) {
    throw new QueueStateError('unavailable', `queue-state answered ${response.status}`, response.status);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new QueueStateError('invalid', 'queue-state answered 200 with a body that is not JSON', 200);
  }
  const pending = (body as { pendingCount?: unknown } | null)?.pendingCount;
  if (typeof pending !== 'number' || !Number.isSafeInteger(pending) || pending < 0) {
    throw new QueueStateError(
      'invalid',
      pending === undefined
        ? 'queue-state answered 200 without pendingCount'
        : `queue-state pendingCount is ${JSON.stringify(pending)?.slice(0, 40)}: expected a non-negative integer`,
      200,
    );
  }
  return pending;
}

/** The body as text, up to MAX_BODY_BYTES; the signal also bounds a body that trickles. */
async function readCapped(response: Response, signal: AbortSignal): Promise<string> {
  const reader = response.body?.getReader();
  if (reader === undefined) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    signal.throwIfAborted();
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      break;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
