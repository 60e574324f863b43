/** Whether a model fits its dataset. (Placeholder until the loaders land.) */
import type { Diagnostic } from '../errors.js';
import type { Spec } from '../spec/types.js';
import type { Dataset } from './types.js';

export function checkModelAgainstData(_spec: Spec, _dataset: Dataset): Diagnostic[] {
  return [];
}
