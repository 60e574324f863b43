/**
 * The contract between datasets and training. A loader turns a descriptor
 * (bundled or the user's) into a `Dataset`; training asks each split for
 * batches by example index, so large data (text windows) is cut per batch
 * and never materialized whole.
 */

export type Task = 'classification' | 'language_model' | 'forecasting' | 'regression';

export type DType = 'float32' | 'int32';

/** One batch as flat typed arrays, row-major, batch dimension first. */
export interface Batch {
  x: Float32Array | Int32Array;
  y: Float32Array | Int32Array;
  /** The number of examples in this batch. */
  size: number;
}

export interface Split {
  /** The number of examples. */
  readonly size: number;
  /**
   * Copy the examples at `indices` (each in [0, size)) into one batch, in that
   * order. Must not depend on anything but the indices (so a resumed run sees
   * the same data).
   */
  batch(indices: ArrayLike<number>): Batch;
  /**
   * Set when example i + 1 begins exactly where example i ends (windows with a
   * stride of their length over one stream), so that a recurrent state can be
   * carried from one to the next (train.carry_state).
   */
  readonly continuous?: boolean;
  /**
   * Where each example of the split sits in the arrays the loader built (and
   * so in `Dataset.sources`): example i is entry `indices[i]`. Set by splits
   * that are views over rows (`arrangeSplits`).
   */
  readonly indices?: Int32Array;
}

/**
 * Where the examples of row data came from (CSV, JSON lines): entry k of the
 * loader's arrays is the record that starts on line `lines[k]` (1-based) of
 * `files[file[k]]`. Kept as two Int32Arrays, so it costs 8 bytes an example.
 */
export interface SourceRows {
  format: 'csv' | 'jsonl';
  files: string[];
  file: Int32Array;
  lines: Int32Array;
  /** How the files are read (JSON lines may be latin1). */
  charset?: 'utf-8' | 'latin1';
}

export interface Dataset {
  /** The bundled name, or the descriptor's path. */
  name: string;
  task: Task;
  /** The shape of one input example (no batch dimension) and its element type. */
  inputShape: number[];
  inputDtype: DType;
  /** The shape of one target: [classes] for one-hot labels, [] for sparse labels, [horizon] for forecasts. */
  targetShape: number[];
  targetDtype: DType;
  /** For classification: the class names (their count is the number of classes). */
  classes?: string[];
  /** For text: the vocabulary, built from the training split (index = token id). */
  vocabulary?: string[];
  train: Split;
  validation?: Split;
  test?: Split;
  /** Training-only augmentation: changes a training batch's inputs in place, drawing only from `random`. */
  augment?: (batch: Batch, random: () => number) => void;
  /** Forecasting: how targets were scaled (a value in the data's units = target × scale + offset). */
  targetScaling?: { offset: number; scale: number; target: string };
  /** How raw input values were scaled (model input = (value − offset) / scale, per feature; one entry applies to all), for predict. */
  inputScaling?: { offset: number[]; scale: number[]; columns?: string[] };
  /** csv: the file's columns in header order, the label column, the feature columns (in input order) and how features were scaled (the label never is). */
  table?: { columns: string[]; label: string; features: string[]; normalize: 'standard' | 'minmax' | 'none' };
  /** How documents were turned into model inputs, for predict. */
  textEncoding?: { tokens: 'character' | 'word'; encoding: 'multi_hot' | 'count' | 'tfidf' | 'sequence'; sequence_length?: number };
  /** Row data (CSV, JSON lines): the file and line of each example, which a split's `indices` point into. */
  sources?: SourceRows;
  /** A stable hash of the data and its preprocessing, recorded with checkpoints. */
  fingerprint: string;
}
