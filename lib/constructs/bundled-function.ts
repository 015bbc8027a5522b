import { join } from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';
import { LAMBDA_BUNDLE } from '../lambda-bundling.js';

/**
 * Where a function's code comes from: `DispatcherCode` (see `functionCode`), or sources with no
 * project root of their own (a test's `entry` override, bundled from the working directory).
 */
export type BundledCode =
  | { readonly kind: 'source'; readonly entry: string; readonly projectRoot?: string }
  | { readonly kind: 'prebuilt'; readonly directory: string };

/** How the sources are bundled beyond the shared `LAMBDA_BUNDLE` settings. */
export interface BundleOptions {
  /** Modules left out of the bundle (see `externalModulesFor`). */
  readonly externalModules: string[];
  /** Extra esbuild CLI flags, e.g. `aliasArgs()`. @default - none */
  readonly esbuildArgs?: BundlingOptions['esbuildArgs'];
}

/** Everything of the function but its code and handler, which the code's kind decides. */
export type BundledFunctionProps = lambda.FunctionOptions & { readonly runtime: lambda.Runtime };

/**
 * A Lambda function of this package: the prebuilt `handler.mjs` bundle as it is (the npm package), or
 * a NodejsFunction esbuild bundles at synth time from the sources with the `LAMBDA_BUNDLE` settings
 * `npm run build` uses, so both ship the same code.
 */
export function bundledFunction(
  scope: Construct,
  id: string,
  code: BundledCode,
  props: BundledFunctionProps,
  bundle: BundleOptions,
): lambda.Function {
  if (code.kind === 'prebuilt') {
    return new lambda.Function(scope, id, {
      ...props,
      code: lambda.Code.fromAsset(code.directory),
      handler: 'handler.handler',
    });
  }
  return new NodejsFunction(scope, id, {
    ...props,
    entry: code.entry,
    handler: 'handler',
    projectRoot: code.projectRoot,
    depsLockFilePath: code.projectRoot && join(code.projectRoot, 'package-lock.json'),
    bundling: {
      // Local esbuild only: synth must work without Docker.
      forceDockerBundling: false,
      format: OutputFormat.ESM,
      target: LAMBDA_BUNDLE.target,
      mainFields: [...LAMBDA_BUNDLE.mainFields],
      minify: LAMBDA_BUNDLE.minify,
      sourceMap: LAMBDA_BUNDLE.sourceMap,
      sourcesContent: LAMBDA_BUNDLE.sourcesContent,
      banner: LAMBDA_BUNDLE.banner,
      externalModules: bundle.externalModules,
      ...(bundle.esbuildArgs === undefined ? {} : { esbuildArgs: bundle.esbuildArgs }),
    },
  });
}
