import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ACA_ENV } from '../test/support/aca-env.js';
import { measureColdStart } from './cold-start.js';
import { ms } from './stats.js';

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
