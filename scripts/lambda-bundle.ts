import { build } from 'esbuild';
import { type BundleTarget, externalModulesFor, LAMBDA_BUNDLE } from '../lib/lambda-bundling.js';

/**
 * Bundles the Lambda with the CDK function's esbuild settings into `<outdir>/handler.mjs`; returns its
 * path and size. The dispatcher's entry gets the trimmed-client aliases (`LAMBDA_BUNDLE.alias`) as its
 * CDK function does; other entries are bundled as their functions are, without them.
 */
export async function buildLambdaBundle(
  target: BundleTarget,
  outdir: string,
  entry = 'lambda/handler.ts',
): Promise<{ file: string; bytes: number }> {
  const alias = entry === 'lambda/handler.ts' ? { ...LAMBDA_BUNDLE.alias } : {};
  const result = await build({
    entryPoints: { handler: entry },
    outdir,
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
    alias,
    external: externalModulesFor(target),
    metafile: true,
    logLevel: 'warning',
  });
  const output = Object.entries(result.metafile.outputs).find(([file]) => file.endsWith('handler.mjs'));
  return { file: output?.[0] ?? '', bytes: output?.[1].bytes ?? 0 };
}
