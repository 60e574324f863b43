/** What a checkpoint records beside the model: `meta.json`. */
import type { io } from '@tensorflow/tfjs-core';
import type { TrainState } from '../train/loop.js';

export const META_JSON = 'meta.json';
export const OPTIMIZER_BIN = 'optimizer.bin';
/** train.pruning's masks, one byte (0 or 1) per element of each pruned kernel, in the order of meta.json's `pruning.masks`. */
export const MASKS_BIN = 'masks.bin';
export const SPEC_FILE = 'spec.yaml';
export const DATA_JSON = 'data.json';
export const CHECKPOINT_FORMAT = 'strata-checkpoint';
export const CHECKPOINT_FORMAT_VERSION = 1;

/** What the dataset looked like, so that predict and generate can decode outputs without loading it. */
export interface DataInfo {
  name: string;
  task: string;
  inputShape: number[];
  inputDtype: string;
  targetShape: number[];
  classes?: string[];
  vocabulary?: string[];
  targetScaling?: { offset: number; scale: number; target: string };
  inputScaling?: { offset: number[]; scale: number[]; columns?: string[] };
  textEncoding?: { tokens: 'character' | 'word'; encoding: 'multi_hot' | 'count' | 'tfidf' | 'sequence'; sequence_length?: number };
  fingerprint: string;
}

export interface CheckpointMeta {
  format: typeof CHECKPOINT_FORMAT;
  format_version: number;
  /** The training position after this checkpoint (epochs completed, batches into the next). */
  state: TrainState;
  seed: number;
  /** The last epoch's log (loss, metrics, validation metrics). */
  metrics: Record<string, number>;
  /** Why it was written: after an epoch, or on an interruption mid-epoch. */
  reason: 'epoch' | 'interrupted';
  spec_hash: string;
  data_fingerprint: string;
  strata_version: string;
  tfjs_version: string;
  backend: string;
  /** What trained it: tfjs or torch (absent in checkpoints of strata before the torch engine: tfjs). */
  engine?: string;
  created: string;
  /**
   * The optimizer's state tensors as stored in optimizer.bin and, for Adam and AdamW, its
   * running powers of β [β1ᵗ, β2ᵗ], which TensorFlow.js's getWeights leaves out (checkpoints
   * written before strata saved them have none: a resume recomputes them from the step count).
   */
  optimizer: { type: string; weights: io.WeightsManifestEntry[]; beta_powers?: [number, number] };
  /**
   * Set on a model `strata compress` wrote: how its weights are stored (`quantize`: uint8, uint16
   * or float16), which were, and the checkpoint it was made from (relative to this one's folder).
   * Such a checkpoint keeps no optimizer state (its optimizer.bin is empty): it is for evaluate,
   * predict, report and any TensorFlow.js program, not for resuming.
   */
  compression?: { quantize: string; weights: string[]; source: string };
  /** With train.pruning, once masks exist: the pruned kernels whose masks masks.bin holds, in its order. */
  pruning?: { masks: { name: string; shape: number[] }[] };
  /** sha256 of every other file of the checkpoint. */
  files: Record<string, string>;
}
