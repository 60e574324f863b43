/** Where a key path is in a spec: its line and column in the spec's file (or the `--set` that gave it), the file alone when the spec has no source. */
import { placeOf } from '../document/source.js';
import type { SpecPath } from '../document/source.js';
import type { Place } from '../errors.js';
import type { Spec } from './types.js';

export function placeIn(spec: Pick<Spec, 'source' | 'file'>, path: SpecPath): Place {
  return spec.source ? placeOf(spec.source, path) : { file: spec.file };
}
