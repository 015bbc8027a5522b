import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BundleTarget } from '../lambda-bundling.js';

/**
 * Root of this module's package: the repository when it runs from `lib/constructs/*.ts`, the package's
 * `dist/` when it runs compiled from `dist/lib/constructs/*.js`.
 */
const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Where the dispatcher function's code comes from. */
export type DispatcherCode =
  /** Bundled at synth time by esbuild from `lambda/handler.ts` (inside the repository). */
  | { readonly kind: 'source'; readonly projectRoot: string; readonly entry: string }
  /** The bundle `npm run build` made (`<dist>/<target>/handler.mjs`), shipped in the npm package. */
  | { readonly kind: 'prebuilt'; readonly directory: string };

/**
 * Sources win whenever they sit next to the library, so the repository app and its tests never pick up
 * a stale `dist/`; the compiled library (the npm package) has no `lambda/handler.ts` next to it and
 * uses the bundle built with it.
 */
export function dispatcherCode(target: BundleTarget, root: string = PACKAGE_ROOT): DispatcherCode {
  return functionCode({ what: 'the dispatcher function', source: 'handler.ts', bundle: target }, root);
}

/** One of the package's functions: its entry under `lambda/` and its bundle directory under `dist/`. */
export interface FunctionSource {
  /** Named in the error when neither exists. */
  readonly what: string;
  /** Entry file under `lambda/`, e.g. `trail-handler.ts`. */
  readonly source: string;
  /** Bundle directory `npm run build` writes, e.g. `trail`. */
  readonly bundle: string;
}

/** The same rule for any function of the package: sources next to the library win, else the bundle. */
export function functionCode(fn: FunctionSource, root: string = PACKAGE_ROOT): DispatcherCode {
  const entry = join(root, 'lambda', fn.source);
  if (existsSync(entry)) return { kind: 'source', projectRoot: root, entry };
  const directory = join(root, fn.bundle);
  if (existsSync(join(directory, 'handler.mjs'))) return { kind: 'prebuilt', directory };
  throw new Error(
    `No code for ${fn.what}: neither its sources (${entry}) nor its prebuilt bundle (${join(directory, 'handler.mjs')}); run npm run build`,
  );
}
