/**
 * A spec's dataset, loaded and checked against its model (phase 3 of reading a
 * spec): what `strata train` needs before a session, and what `strata validate`
 * checks. It loads no TensorFlow.js.
 */
import { dirname } from 'node:path';
import { loadDataset } from '../data/load.js';
import type { Dataset } from '../data/types.js';
import { placeIn } from '../spec/place.js';
import { StrataError, UsageError } from '../errors.js';
import type { Place } from '../errors.js';
import { checkModelAgainstData } from '../spec/check-data.js';
import type { Spec } from '../spec/types.js';
import { trainConfig } from '../train/config.js';
import { labelModeFor } from '../train/targets.js';

export interface SpecDataOptions {
  seed: number;
  /** Read only what the check needs where the format allows it (`LoadOptions.probe`): the dataset hands out no batches. */
  probe?: boolean;
}

/** Where the spec names its dataset: `data.dataset`'s value (or the `--set` that gave it). */
function datasetPlace(spec: Spec): Place {
  return placeIn(spec, ['data', 'dataset']);
}

/**
 * Load `spec.data` (a bundled name or a path relative to the spec) with its
 * labels encoded for the spec's loss, and check the model against it; every
 * mismatch is thrown at once, each at its place in the spec. An error of the
 * loader's own that names no place (an unknown dataset, a missing package) is
 * placed at `data.dataset`.
 */
export async function loadSpecDataset(spec: Spec, o: SpecDataOptions): Promise<Dataset> {
  if (!spec.data) {
    throw new UsageError({ file: spec.file, line: 1, col: 1, code: 'no-data', message: 'the spec has no data section; add one, such as data: {dataset: mnist}' });
  }
  const labels = labelModeFor(trainConfig(spec.train, false).loss, spec);
  let dataset: Dataset;
  try {
    dataset = await loadDataset(spec.data, { seed: o.seed, baseDir: dirname(spec.file), labels, ...(o.probe ? { probe: true } : {}) });
  } catch (e) {
    if (!(e instanceof StrataError) || e.diagnostics.every((d) => d.file !== undefined || d.arg !== undefined)) throw e;
    const at = datasetPlace(spec);
    throw new UsageError(e.diagnostics.map((d) => (d.file !== undefined || d.arg !== undefined ? d : { ...d, ...at })));
  }
  const problems = checkModelAgainstData(spec, dataset);
  if (problems.length > 0) throw new UsageError(problems);
  return dataset;
}
