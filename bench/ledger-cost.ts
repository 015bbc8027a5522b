import { createDispatcher } from '../lambda/dispatch/create-dispatcher.js';
import { DynamoDbLedger } from '../lambda/ledger/dynamodb-ledger.js';
import type { LaunchLedger } from '../lambda/ledger/launch-ledger.js';
import { MemoryLedger } from '../lambda/ledger/memory-ledger.js';
import { Logger } from '../lambda/log/logger.js';
import { AwsStandIn } from '../test/support/aws-stand-in.js';
import { startLedgerTable } from '../test/support/dynalite-table.js';
import { ms, summarize } from './stats.js';
import { BENCH_ECS_ENV, SECRET } from './warm.js';

/** Counts the ledger calls one webhook makes. */
function counted(ledger: LaunchLedger): { ledger: LaunchLedger; calls: () => number } {
  let calls = 0;
  const wrapped = new Proxy(ledger, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls++;
        return value.apply(target, args);
      };
    },
  });
  return { ledger: wrapped, calls: () => calls };
}

/**
 * What the launch ledger adds per webhook: the same warm path (real SDK, local ECS stand-in) with
 * plain ECS without a table (clientToken alone: local mode, stacks from before the ledger), plain ECS
 * over the DynamoDB ledger (what a deployed stack does now), Spot then on-demand over the in-memory
 * ledger (local mode), and over the DynamoDB ledger against dynalite. dynalite is a JavaScript DynamoDB on
 * LevelDB in this same process: its latency is not DynamoDB's; the call count is what carries over.
 */
export async function measureLedgerCost(samples = 400) {
  const standIn = new AwsStandIn();
  const endpoint = await standIn.start();
  Object.assign(process.env, AwsStandIn.clientEnv(endpoint));
  const dynamo = await startLedgerTable();
  const env = BENCH_ECS_ENV;
  const logger = new Logger(() => {}, 'error');
  const dynamoLedger = () =>
    new DynamoDbLedger(dynamo.client, {
      tableName: 'ledger',
      scope: 'bench',
      ttlSeconds: 86_400,
      retryAfterSeconds: 5,
    });
  const runs: {
    name: string;
    capacity: string;
    ledger?: () => LaunchLedger;
    env?: Record<string, string>;
  }[] = [
    { name: 'plain ECS, no table: clientToken only', capacity: 'FARGATE' },
    {
      // What a deployed plain ECS stack does: the stack names its table, so every launch consults it.
      name: 'plain ECS, DynamoDB ledger (dynalite), as deployed',
      capacity: 'FARGATE',
      ledger: dynamoLedger,
      env: { LEDGER_TABLE_NAME: 'ledger' },
    },
    {
      name: 'Spot then on-demand, in-memory ledger',
      capacity: 'FARGATE_SPOT_THEN_FARGATE',
      ledger: () => new MemoryLedger({ ttlMs: 86_400_000 }),
    },
    {
      name: 'Spot then on-demand, DynamoDB ledger (dynalite)',
      capacity: 'FARGATE_SPOT_THEN_FARGATE',
      ledger: dynamoLedger,
    },
  ];
  const results = [];
  try {
    let seq = 0;
    for (const run of runs) {
      const ledger = run.ledger ? counted(run.ledger()) : undefined;
      const dispatch = createDispatcher(
        { ...env, ECS_CAPACITY: run.capacity, ...run.env },
        { logger, ledger: ledger?.ledger },
      );
      await dispatch.ready;
      const once = async () => {
        const key = `atask-ledger-${++seq}`;
        const started = performance.now();
        const answer = await dispatch({
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${SECRET}`,
            'idempotency-key': key,
          },
          body: Buffer.from(JSON.stringify({ task_id: key, action: 'plan' })),
        });
        if (answer.statusCode !== 202) throw new Error(`unexpected ${answer.statusCode}: ${answer.body}`);
        return performance.now() - started;
      };
      for (let i = 0; i < 100; i++) await once();
      const before = ledger?.calls() ?? 0;
      const times: number[] = [];
      for (let i = 0; i < samples; i++) times.push(await once());
      results.push({
        name: run.name,
        latency: summarize(times),
        ledgerCallsPerWebhook: ((ledger?.calls() ?? 0) - before) / samples,
      });
    }
  } finally {
    await dynamo.stop();
    await standIn.stop();
  }
  return results;
}

export function formatLedgerCost(results: Awaited<ReturnType<typeof measureLedgerCost>>): string[] {
  const base = results[0]?.latency;
  return results.map(
    (r) =>
      `${r.name.padEnd(50)} p50 ${ms(r.latency.p50)}  p99 ${ms(r.latency.p99)}  ledger calls/webhook ${r.ledgerCallsPerWebhook.toFixed(2)}` +
      (base && r !== results[0] ? `  (+${ms(r.latency.p50 - base.p50)} p50 vs plain)` : ''),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  for (const line of formatLedgerCost(await measureLedgerCost())) console.log(line);
}
