// Builds what the npm package ships into <outDir> (default dist/): the library compiled to JavaScript
// with type declarations (dist/lib, and the few lambda/ modules it imports), and the prebuilt Lambda
// bundles the construct uses outside this repository (dist/ecs, dist/aca, dist/trail,
// dist/scalr-registration).
// Usage: tsx scripts/build-package.ts [outDir]
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildLambdaBundle } from './lambda-bundle.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const outDir = resolve(process.argv[2] ?? join(ROOT, 'dist'));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

// A file removed from lib/ must not live on in the package.
for (const dir of ['lib', 'lambda']) rmSync(join(outDir, dir), { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', outDir], {
  stdio: 'inherit',
  timeout: 300_000,
});
// A plain JavaScript asset the custom resource deploys as is.
const accountRole = 'lib/constructs/api-gateway-account-role';
cpSync(join(ROOT, accountRole), join(outDir, accountRole), { recursive: true });

process.chdir(ROOT);
for (const target of ['ecs', 'aca'] as const) {
  const { file, bytes } = await buildLambdaBundle(target, join(outDir, target));
  console.log(`built ${file} (${(bytes / 1024).toFixed(1)} KiB)`);
}
// The task trail's consumer (lib/constructs/task-trail.ts): AWS only, like the ecs bundle; and with
// the Azure SDK for the aca target, whose sweep reads the executions' status from ARM.
for (const [target, dir] of [
  ['ecs', 'trail'],
  ['aca', 'trail-aca'],
] as const) {
  const trail = await buildLambdaBundle(target, join(outDir, dir), 'lambda/trail-handler.ts');
  console.log(`built ${trail.file} (${(trail.bytes / 1024).toFixed(1)} KiB)`);
}
// The Scalr registration custom resource (lib/constructs/scalr-registration.ts): AWS only as well.
const registration = await buildLambdaBundle(
  'ecs',
  join(outDir, 'scalr-registration'),
  'lambda/scalr-registration/handler.ts',
);
console.log(`built ${registration.file} (${(registration.bytes / 1024).toFixed(1)} KiB)`);
console.log(`built the library into ${join(outDir, 'lib')}`);
