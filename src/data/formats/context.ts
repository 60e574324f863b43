/** What every format loader gets, and what it returns. */
import type { Descriptor } from '../descriptor.js';
import type { LabelMode } from '../splits.js';
import type { Dataset } from '../types.js';

export interface FormatContext {
  /** The descriptor with the spec's overrides applied. */
  d: Descriptor;
  /** The descriptor file, for messages. */
  descriptorFile: string;
  /** Resolve a path written in the descriptor. */
  path(p: string): string;
  /** Seed of the validation split and of anything else random in loading. */
  seed: number;
  labels: LabelMode;
  /** A fraction of the training data held out for validation, or a split name. */
  validation?: number | string;
  /** Only the shapes, classes, vocabulary and split sizes, where a format can tell them without reading every example: its splits hand out no batches. */
  probe?: boolean;
}

export type Loaded = Omit<Dataset, 'name' | 'fingerprint'>;
