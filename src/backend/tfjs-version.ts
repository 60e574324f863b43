/**
 * Which TensorFlow.js release strata's own wasm code was written against.
 *
 * strata's wasm kernels (wasm-kernels/, simd/) reach into the wasm backend's
 * internals (`makeOutput`, `typedArrayFromHeap`, its Emscripten heap), and
 * wasm-threads.ts into the package's worker script, its messages and a flag it
 * only registers in the release it was written for. None of that is public API,
 * so strata uses them only on the release they were written against and tested
 * with: under any other version of @tensorflow/tfjs-core or
 * @tensorflow/tfjs-backend-wasm, the wasm backend runs on TensorFlow.js's own
 * kernels, on the threads it starts by itself, and strata says so once.
 */

/** The release (major.minor) strata's wasm kernels and thread start were written for; any patch release of it is accepted. */
export const KERNELS_TFJS_RELEASE = '4.22';

/** The versions of the two packages strata's wasm code depends on. */
export interface TfjsVersions {
  core: string;
  wasm: string;
}

/** For tests: a version that stands in for both packages' real ones (see docs/development.md). */
export const TEST_VERSION_VARIABLE = 'STRATA_TEST_TFJS_VERSION';

/** Whether `version` is a plain release of KERNELS_TFJS_RELEASE: 4.22.0, 4.22.3; not 4.22.0-rc.1, 4.2.2 or 4.220.0. */
function inRelease(version: string): boolean {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(version.trim());
  return m !== null && `${Number(m[1])}.${Number(m[2])}` === KERNELS_TFJS_RELEASE;
}

/** Whether strata may install its wasm kernels and start the threaded build: both packages must be of the supported release. */
export function kernelsSupported(versions: TfjsVersions): boolean {
  return inRelease(versions.core) && inRelease(versions.wasm);
}

/**
 * The versions strata acts on: the loaded packages' own (`tf.version_core`,
 * the wasm package's `version_wasm`), or, where STRATA_TEST_TFJS_VERSION is
 * set and not empty, that version for both (tests use it to run the fallback
 * on the installed release).
 */
export function effectiveVersions(loaded: { core: string | undefined; wasm: string | undefined }, env: NodeJS.ProcessEnv = process.env): TfjsVersions {
  const override = env[TEST_VERSION_VARIABLE];
  if (override !== undefined && override.trim() !== '') return { core: override.trim(), wasm: override.trim() };
  return { core: loaded.core ?? 'unknown', wasm: loaded.wasm ?? 'unknown' };
}

/** The one line strata prints on stderr when its wasm kernels are off. */
export function kernelsOffNotice(versions: TfjsVersions): string {
  const found = versions.core === versions.wasm
    ? `TensorFlow.js ${versions.core}`
    : `@tensorflow/tfjs-core ${versions.core} with @tensorflow/tfjs-backend-wasm ${versions.wasm}`;
  return (
    `strata: note: found ${found}, but strata's own wasm kernels and its multithreaded start of the wasm backend ` +
    `need TensorFlow.js ${KERNELS_TFJS_RELEASE}.x, so they are off; training still works on TensorFlow.js's own kernels, only slower.`
  );
}
