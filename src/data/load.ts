/** Loading the dataset a spec names. (Placeholder until the loaders land: it refuses clearly.) */
import { UsageError } from '../errors.js';
import type { Dataset } from './types.js';

export interface LoadOptions {
  seed: number;
  /** The spec's directory, for relative paths. */
  baseDir: string;
}

export async function loadDataset(data: Record<string, unknown>, _options: LoadOptions): Promise<Dataset> {
  throw new UsageError({ code: 'no-loader', message: `dataset '${String(data.dataset)}' cannot be loaded: no dataset loaders are built into this version` });
}
