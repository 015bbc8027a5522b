/**
 * esbuild settings of the dispatcher bundle, shared by the CDK function and `scripts/build-lambda.ts`
 * (used by `npm run build` and `npm run bench`), so the benchmark measures exactly what is deployed.
 */
export const LAMBDA_BUNDLE = {
  /** Lambda runtime the bundle targets (`nodejs24.x`). */
  target: 'node24',
  /** ES modules: top-level await lets Lambda's init phase load the launch target. */
  format: 'esm',
  // The SDK's ES modules tree-shake; its single-file CommonJS builds do not (581 -> 421 KiB, ~40% faster import).
  mainFields: ['module', 'main'],
  minify: true,
  // No source map: the function does not enable --enable-source-maps (it parsed the map at every
  // cold start, ~30 ms), so a shipped map would only be dead weight; logs carry error names, not stacks.
  sourceMap: false,
  sourcesContent: false,
  // Paths are relative to the project root, where both builds run esbuild.
  alias: {
    // Lambda always passes the role's credentials in environment variables: the SDK's whole provider
    // chain (INI, SSO, IMDS, STS clients) is replaced by an environment-only one. Paired: x0.94 wall.
    '@aws-sdk/credential-provider-node': './lambda/aws/env-credentials.ts',
    // Each client with only the commands the dispatcher sends (see the files). 427 -> 303 KiB; paired: x0.86 wall.
    '@aws-sdk/client-ecs': './lambda/aws/bundle/client-ecs.mjs',
    '@aws-sdk/client-secrets-manager': './lambda/aws/bundle/client-secrets-manager.mjs',
    '@aws-sdk/client-dynamodb': './lambda/aws/bundle/client-dynamodb.mjs',
  },
  // CommonJS dependencies inside an ESM bundle still call require().
  banner:
    "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
} as const;

/** The aliases as the esbuild CLI flags NodejsFunction passes (`esbuildArgs`). */
export function aliasArgs(): { '--alias': string[] } {
  return { '--alias': Object.entries(LAMBDA_BUNDLE.alias).map(([from, to]) => `${from}=${to}`) };
}

/** Launch targets that have a deployable bundle. */
export type BundleTarget = 'ecs' | 'aca';

/**
 * Modules left out of the bundle: the Azure SDK is never loaded on the ECS target, so it is not
 * shipped. The ACA launcher is left out with it: esbuild inlines a literal `import()` and, in ESM
 * output, hoists the inlined module's external imports to the top of the bundle, so `@azure/*` alone
 * would make the ECS bundle import (or fail to find) the Azure SDK at init.
 */
export function externalModulesFor(target: BundleTarget): string[] {
  return target === 'ecs' ? ['@azure/*', './lambda/launchers/aca/*'] : [];
}
