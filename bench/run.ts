import { resolve } from 'node:path';
import { formatAcaColdStart, measureAcaColdStart } from './aca-cold-start.js';
import { formatBurst, measureBurst } from './burst.js';
import { formatLedgerCost, measureLedgerCost } from './ledger-cost.js';
import { machineLine } from './machine.js';
import { compareWithSeed, formatSeedComparison } from './seed-baseline.js';
import { formatThroughput, measureThroughput } from './throughput.js';
import { formatWarm, measureWarm } from './warm.js';

// `npm run bench` first builds dist/ecs and dist/aca with the CDK function's esbuild settings
// (scripts/build-lambda.ts), so these figures are those of what is deployed.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

console.log(`# agent-dispatcher bench — ${new Date().toISOString()}`);
// A shared machine: every figure below is read next to its baseline, taken in the same run.
console.log(machineLine('start'));

console.log(
  "\n## Against the Python seed (boto3 Lambda of Scalr's guide), same ECS stand-in, each in its own process",
);
for (const line of formatSeedComparison(await compareWithSeed(resolve('dist/ecs/handler.mjs'))))
  console.log(line);
console.log(
  '\n## Cold start per bundle (median of 15 process starts; goal for ecs: <= 50 ms above bare node)',
);
for (const line of formatAcaColdStart(measureAcaColdStart())) console.log(line);

console.log('\n## ECS warm path (2000 sequential webhooks through the bundle, then 16 at a time)');
for (const line of formatWarm(await measureWarm(resolve('dist/ecs/handler.mjs')))) console.log(line);

console.log('\n## What the launch ledger adds per webhook (400 sequential webhooks each, warm)');
for (const line of formatLedgerCost(await measureLedgerCost())) console.log(line);

console.log('\n## Local server throughput (npm start) against a bare node:http server, same stand-in');
for (const line of formatThroughput(await measureThroughput())) console.log(line);

console.log('');
for (const line of formatBurst(await measureBurst(300))) console.log(line);

console.log(`\n${machineLine('end')}`);
