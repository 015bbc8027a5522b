// Bundles the Lambda with the CDK function's esbuild settings into dist/<target>/handler.mjs, so the
// benchmark measures what is deployed. Usage: tsx scripts/build-lambda.ts [ecs|aca] [outdir]
// (outdir defaults to dist/<target>; tests give their own so parallel builds never share a file).
import { buildLambdaBundle } from './lambda-bundle.js';

const target = process.argv[2] === 'aca' ? 'aca' : 'ecs';
const { file, bytes } = await buildLambdaBundle(target, process.argv[3] ?? `dist/${target}`);
console.log(`built ${file} (${(bytes / 1024).toFixed(1)} KiB)`);
