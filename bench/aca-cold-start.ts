import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { measureColdStart } from './cold-start.js';
import { ms } from './stats.js';

/** What the ACA bundle needs to build its launcher; nothing here is contacted at start-up. */
const ACA_ENV = {
  LAUNCH_TARGET: 'aca',
  ACA_SUBSCRIPTION_ID: '11111111-2222-4333-8444-555555555555',
  ACA_RESOURCE_GROUP: 'rg-agents',
  ACA_JOB_NAME: 'scalr-agent',
  AZURE_TENANT_ID: '72f988bf-86f1-41af-91ab-2d7cd011db47',
  AZURE_CLIENT_ID: '0b1f4c6e-2a3d-4e5f-8a9b-0c1d2e3f4a5b',
  DEDUP_TABLE_NAME: 'dispatcher-dedup',
};

export type ColdStartFigures = ReturnType<typeof measureColdStart>;

/**
 * Cold start of both bundles built by `scripts/build-lambda.ts ecs|aca`: the ECS bundle (which must not
 * carry the Azure SDK) and the ACA bundle with LAUNCH_TARGET=aca. Each figure is the median of
 * `runs` fresh node processes; init includes loading the launcher (the handler awaits it).
 */
export function measureAcaColdStart(runs = 15): { ecs: ColdStartFigures; aca: ColdStartFigures } {
  const ecs = resolve('dist/ecs/handler.mjs');
  const aca = resolve('dist/aca/handler.mjs');
  return {
    ecs: measureColdStart(ecs, runs),
    aca: measureColdStart(aca, runs, ACA_ENV),
  };
}

/** Lines for the bench report. */
export function formatAcaColdStart(figures: { ecs: ColdStartFigures; aca: ColdStartFigures }): string[] {
  const row = (name: string, f: ColdStartFigures) =>
    `${name.padEnd(5)} ${f.bundleKiB.toFixed(1).padStart(7)} KiB  Azure SDK in bundle: ${f.azureInBundle ? 'yes' : 'no '}  cold start above bare node ${ms(f.coldStartAboveBareMs)}  import until ready ${ms(f.importInsideMs)}`;
  return [row('ecs', figures.ecs), row('aca', figures.aca)];
}

// Standalone: `npx tsx scripts/build-lambda.ts ecs && npx tsx scripts/build-lambda.ts aca && npx tsx bench/aca-cold-start.ts`
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log('## Cold start per bundle (median of 15 process starts)');
  for (const line of formatAcaColdStart(measureAcaColdStart())) console.log(line);
}
