import { resolve } from 'node:path';
import { measureColdStart } from './cold-start.js';
import { ms } from './stats.js';
import { formatWarm, measureWarm } from './warm.js';

// `npm run bench` builds dist/ecs/handler.mjs first (scripts/build-lambda.mjs), exactly as deployed.
const bundle = resolve('dist/ecs/handler.mjs');

console.log(`# agent-dispatcher bench — node ${process.version}, ${new Date().toISOString()}`);
console.log('\n## ECS bundle cold start (median of 15 process starts)');
const cold = measureColdStart(bundle);
console.log(
  `bundle size                        ${cold.bundleKiB.toFixed(1)} KiB (minified, Azure SDK in bundle: ${cold.azureInBundle ? 'YES' : 'no'})`,
);
console.log(`node -e ''                         ${ms(cold.bareNodeMs)}`);
console.log(`node importing the bundle          ${ms(cold.withBundleMs)}`);
console.log(`cold start above bare node         ${ms(cold.coldStartAboveBareMs)}  (goal <= 50 ms)`);
console.log(`import until ready, inside node    ${ms(cold.importInsideMs)}`);

console.log('\n## ECS warm path (2000 sequential webhooks, then a concurrent run)');
for (const line of formatWarm(await measureWarm(bundle))) console.log(line);
