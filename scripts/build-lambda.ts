// Bundles the Lambda with the CDK function's esbuild settings into dist/<target>/handler.mjs, so the
// benchmark measures what is deployed. Usage: tsx scripts/build-lambda.ts [ecs|aca] [outdir]
// (outdir defaults to dist/<target>; tests give their own so parallel builds never share a file).
import { build } from 'esbuild';
import { externalModulesFor, LAMBDA_BUNDLE } from '../lib/lambda-bundling.js';

const target = process.argv[2] === 'aca' ? 'aca' : 'ecs';
const result = await build({
  entryPoints: { handler: 'lambda/handler.ts' },
  outdir: process.argv[3] ?? `dist/${target}`,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  target: LAMBDA_BUNDLE.target,
  format: LAMBDA_BUNDLE.format,
  mainFields: [...LAMBDA_BUNDLE.mainFields],
  minify: LAMBDA_BUNDLE.minify,
  sourcemap: LAMBDA_BUNDLE.sourceMap,
  sourcesContent: LAMBDA_BUNDLE.sourcesContent,
  banner: { js: LAMBDA_BUNDLE.banner },
  alias: { ...LAMBDA_BUNDLE.alias },
  external: externalModulesFor(target),
  metafile: true,
  logLevel: 'warning',
});

const output = Object.entries(result.metafile.outputs).find(([file]) => file.endsWith('handler.mjs'));
console.log(`built ${output?.[0]} (${((output?.[1].bytes ?? 0) / 1024).toFixed(1)} KiB)`);
