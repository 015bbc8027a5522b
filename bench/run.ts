import { resolve } from 'node:path';
import { formatAcaColdStart, measureAcaColdStart } from './aca-cold-start.js';
import { formatBurst, measureBurst } from './burst.js';
import { formatLedgerCost, measureLedgerCost } from './ledger-cost.js';
import { formatWarm, measureWarm } from './warm.js';

// `npm run bench` first builds dist/ecs and dist/aca with the CDK function's esbuild settings
// (scripts/build-lambda.ts), so these figures are those of what is deployed.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

console.log(`# agent-dispatcher bench — node ${process.version}, ${new Date().toISOString()}`);
console.log(
  '\n## Cold start per bundle (median of 15 process starts; goal for ecs: <= 50 ms above bare node)',
);
for (const line of formatAcaColdStart(measureAcaColdStart())) console.log(line);

console.log('\n## ECS warm path (2000 sequential webhooks through the bundle, then 16 at a time)');
for (const line of formatWarm(await measureWarm(resolve('dist/ecs/handler.mjs')))) console.log(line);

console.log('\n## What the launch ledger adds per webhook (400 sequential webhooks each, warm)');
for (const line of formatLedgerCost(await measureLedgerCost())) console.log(line);

console.log('');
for (const line of formatBurst(await measureBurst(300))) console.log(line);
