// Bundles the Lambda the way the CDK stack does (esbuild, ESM, minified, source maps), into dist/,
// so the benchmark measures what is deployed. The Azure SDK stays out of the ECS bundle.
import { build } from 'esbuild';

const result = await build({
  entryPoints: { handler: 'lambda/handler.ts' },
  outdir: 'dist/ecs',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  minify: true,
  sourcemap: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  // Prefer the SDK's ES modules: unlike its single-file CommonJS builds they tree-shake
  // (581 KiB -> 421 KiB, about 40% less import time).
  mainFields: ['module', 'main'],
  external: ['@azure/*'],
  // Some bundled CommonJS dependencies call require(); give ESM output one.
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
  metafile: true,
  logLevel: 'warning',
});

const bytes = Object.entries(result.metafile.outputs)
  .filter(([file]) => file.endsWith('.mjs'))
  .reduce((sum, [, output]) => sum + output.bytes, 0);
console.log(`built dist/ecs/handler.mjs (${(bytes / 1024).toFixed(1)} KiB)`);
