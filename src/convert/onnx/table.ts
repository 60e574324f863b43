/**
 * The exporter's table: every TensorFlow.js class it writes, and the spec
 * layer types that are exportable — the one list docs/compression.md's
 * "ONNX export" section and the refusal of other types read.
 */
import { attentionWriters } from './attention.js';
import { convWriters } from './conv.js';
import { coreWriters } from './core.js';
import type { Writer } from './emit.js';
import { normalizationWriters } from './normalization.js';
import { recurrentWriters } from './recurrent.js';
import { wrapperWriters } from './wrappers.js';

const WRITERS: readonly Writer[] = [...coreWriters, ...convWriters, ...normalizationWriters, ...recurrentWriters, ...attentionWriters, ...wrapperWriters];

/** The writer of each TensorFlow.js class name. */
export const WRITER_OF: ReadonlyMap<string, Writer> = new Map(WRITERS.flatMap((w) => w.classes.map((c) => [c, w] as const)));

/**
 * Spec types that need no writer of their own: the input becomes the graph's
 * input, and blocks expand into the layers they hold (each of which must be exportable).
 */
export const STRUCTURAL_TYPES = ['input', 'residual', 'dense_block'] as const;

/** Every spec layer type `strata convert --to onnx` writes, sorted. */
export const ONNX_LAYER_TYPES: readonly string[] = [...new Set([...STRUCTURAL_TYPES, ...WRITERS.flatMap((w) => w.types)])].sort();
