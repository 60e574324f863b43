/**
 * `train.pruning`: magnitude pruning during training, as the TensorFlow Model
 * Optimization Toolkit's `prune_low_magnitude` does it. The keys (schema and
 * docs), the two sparsity schedules (TF-MOT's PolynomialDecay and
 * ConstantSparsity), which steps prune, how many weights a mask keeps, and the
 * checks of the section that a schema cannot make. The masks themselves live in
 * train/pruning.ts.
 */
import { roundHalfEven } from '../round.js';
import type { Diagnostic, Place } from '../errors.js';
import type { JsonSchema, Param } from '../document/json-schema.js';
import { choice, int, keyedObject, num } from '../document/json-schema.js';
import type { SpecPath } from '../document/source.js';
import { didYouMean } from '../document/suggest.js';

export const PRUNING_TYPES = ['polynomial', 'constant'] as const;
export type PruningType = (typeof PRUNING_TYPES)[number];

/** metrics.jsonl's key of a pruned layer's sparsity: `sparsity/<layer>`. */
export const SPARSITY_PREFIX = 'sparsity/';

/** The TensorFlow.js classes whose kernels are pruned when `layers` is left out (TF-MOT's default: dense and convolution kernels). */
export const DEFAULT_PRUNED_CLASSES: ReadonlySet<string> = new Set(['Dense', 'Conv1D', 'Conv2D', 'Conv3D', 'Conv2DTranspose', 'SeparableConv2D', 'DepthwiseConv2D']);

/** Whether a weight (named `layer/kernel`, `layer/depthwise_kernel`, …) is a kernel: only kernels are pruned, never biases or normalization weights. */
export function isKernel(weightName: string): boolean {
  return /kernel$/.test(weightName.split('/').pop() ?? '');
}

/** `train.pruning`'s keys. */
export const pruningKeys: Record<string, Param> = {
  type: choice('The sparsity schedule: polynomial (TF-MOT PolynomialDecay: from initial_sparsity to final_sparsity between the begin and the end, along (1 - progress)^power) or constant (TF-MOT ConstantSparsity: target_sparsity from the begin on).', PRUNING_TYPES, { required: true }),
  initial_sparsity: num('polynomial: the fraction of each pruned weight that is zero at the begin.', { min: 0, exclusiveMax: 1, default: 0 }),
  final_sparsity: num('polynomial (required): the fraction of each pruned weight that is zero from the end on.', { min: 0, exclusiveMax: 1 }),
  target_sparsity: num('constant (required): the fraction of each pruned weight that is zero from the begin on.', { min: 0, exclusiveMax: 1 }),
  power: num('polynomial: the exponent of the decay.', { exclusiveMin: 0, default: 3 }),
  begin_step: int('The optimizer step (steps done) at which pruning begins; give this or begin_epoch (default: step 0).', { min: 0 }),
  begin_epoch: int('Pruning begins after this many epochs (its first step is the first of the next epoch); instead of begin_step.', { min: 0 }),
  end_step: int('The step at which pruning ends: polynomial reaches final_sparsity there, and no mask changes after it; give this or end_epoch (required for polynomial; constant without one prunes to the end).', { min: 0 }),
  end_epoch: int('Pruning ends after this many epochs (at the last step of that epoch); instead of end_step.', { min: 1 }),
  frequency: int('Masks are recomputed every this many steps from the begin (and at the end step).', { min: 1, default: 100 }),
  layers: {
    schema: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      minItems: 1,
      uniqueItems: true,
      description: 'The layers whose kernels are pruned, by name or by type (default: the kernels of every dense and convolution layer). Biases and normalization weights are never pruned.',
    },
  },
};

/** The section's schema: its keys, nothing else. */
export function pruningSchema(): JsonSchema {
  return keyedObject(
    'Magnitude pruning during training (TF-MOT prune_low_magnitude): after every optimizer step the pruned kernels are multiplied by their masks, which are recomputed by magnitude at the pruning steps (docs/compression.md).',
    pruningKeys,
  );
}

/** `train.pruning` resolved against a run's steps per epoch: every bound in steps. */
export interface PruningPlan {
  type: PruningType;
  initial: number;
  /** The sparsity reached: final_sparsity (polynomial) or target_sparsity (constant). */
  final: number;
  power: number;
  begin: number;
  /** Undefined: no end (constant sparsity to the end of training). */
  end?: number;
  frequency: number;
  layers?: string[];
}

/** The plan of a (valid) `train.pruning` section, with epochs counted as `stepsPerEpoch` steps. */
export function pruningPlan(section: Record<string, unknown>, stepsPerEpoch: number): PruningPlan {
  const n = (k: string) => section[k] as number | undefined;
  const begin = n('begin_step') ?? (n('begin_epoch') ?? 0) * stepsPerEpoch;
  const endEpoch = n('end_epoch');
  const end = n('end_step') ?? (endEpoch !== undefined ? endEpoch * stepsPerEpoch : undefined);
  const type = section.type as PruningType;
  return {
    type,
    initial: type === 'polynomial' ? (n('initial_sparsity') ?? 0) : (n('target_sparsity') ?? 0),
    final: type === 'polynomial' ? (n('final_sparsity') ?? 0) : (n('target_sparsity') ?? 0),
    power: n('power') ?? 3,
    begin,
    ...(end !== undefined ? { end } : {}),
    frequency: n('frequency') ?? 100,
    ...(Array.isArray(section.layers) ? { layers: section.layers as string[] } : {}),
  };
}

/**
 * The sparsity at step `t` (optimizer steps done): TF-MOT's PolynomialDecay,
 * final + (initial - final) · (1 - p)^power with p = clip((t - begin) / (end - begin), 0, 1),
 * or ConstantSparsity's target.
 */
export function sparsityAt(plan: PruningPlan, t: number): number {
  if (plan.type === 'constant' || plan.end === undefined) return plan.final;
  const p = Math.min(1, Math.max(0, (t - plan.begin) / (plan.end - plan.begin)));
  return plan.final + (plan.initial - plan.final) * Math.pow(1 - p, plan.power);
}

/**
 * Whether the masks are recomputed at step `t`: TF-MOT's rule (t in [begin, end] and
 * (t - begin) a multiple of frequency), and also at the end step itself, so that the
 * final sparsity is reached whatever the frequency.
 */
export function prunesAt(plan: PruningPlan, t: number): boolean {
  if (t < plan.begin || (plan.end !== undefined && t > plan.end)) return false;
  return (t - plan.begin) % plan.frequency === 0 || t === plan.end;
}

/** How many of `size` weights a mask of `sparsity` keeps: TF-MOT's max(1, round(size · (1 - sparsity))). */
export function keptCount(size: number, sparsity: number): number {
  return Math.max(1, roundHalfEven(size * (1 - sparsity)));
}

/** A spec's layers as the pruning checks see them. */
export interface NamedLayer {
  name: string;
  type: string;
}

/** The checks of `train.pruning` a schema cannot make, each at its key. */
/** `defaultEpochs`: train.epochs when the spec leaves it out. */
export function checkPruning(train: Record<string, unknown>, at: (path: SpecPath) => Place, layers: readonly NamedLayer[] | undefined, defaultEpochs: number): Diagnostic[] {
  const p = train.pruning as Record<string, unknown> | undefined;
  if (!p || typeof p !== 'object') return [];
  const out: Diagnostic[] = [];
  const key = (k: string): SpecPath => ['train', 'pruning', k];
  const say = (k: string, code: string, message: string, path: SpecPath = key(k)) => out.push({ ...at(path), code, message });
  const polynomial = p.type === 'polynomial';
  for (const [a, b] of [
    ['begin_step', 'begin_epoch'],
    ['end_step', 'end_epoch'],
  ] as const) {
    if (p[a] !== undefined && p[b] !== undefined) say(b, 'pruning-both', `train.pruning gives both ${a} and ${b}; keep one of them`);
  }
  const only = polynomial ? ['target_sparsity'] : ['initial_sparsity', 'final_sparsity', 'power'];
  for (const k of only) {
    if (p[k] !== undefined) say(k, 'pruning-key-of-other-type', `train.pruning.${k} belongs to the ${polynomial ? 'constant' : 'polynomial'} schedule, and this one is ${String(p.type)}; ${polynomial ? 'use final_sparsity' : 'use target_sparsity'}`);
  }
  const need = polynomial ? 'final_sparsity' : 'target_sparsity';
  if (p[need] === undefined) say('type', 'pruning-no-sparsity', `train.pruning of type ${String(p.type)} needs ${need}, the fraction of each pruned kernel to make zero (such as ${need}: 0.8)`);
  if (polynomial && typeof p.final_sparsity === 'number' && typeof p.initial_sparsity === 'number' && p.final_sparsity < p.initial_sparsity) {
    say('final_sparsity', 'pruning-decreasing', `train.pruning.final_sparsity (${p.final_sparsity}) is below initial_sparsity (${p.initial_sparsity}); pruning only adds zeros: make final_sparsity at least initial_sparsity`);
  }
  const unit = (which: 'begin' | 'end') => (p[`${which}_step`] !== undefined ? 'step' : p[`${which}_epoch`] !== undefined ? 'epoch' : undefined);
  const endUnit = unit('end');
  if (polynomial && endUnit === undefined) say('type', 'pruning-no-end', 'train.pruning of type polynomial needs end_step or end_epoch, where the sparsity reaches final_sparsity');
  if (unit('begin') !== undefined && endUnit !== undefined && unit('begin') !== endUnit) {
    say(`end_${endUnit}`, 'pruning-mixed-units', `train.pruning gives its begin in ${unit('begin')}s and its end in ${endUnit}s; give both in steps (begin_step, end_step) or both in epochs (begin_epoch, end_epoch)`);
  }
  const beginUnit = unit('begin') ?? endUnit;
  if (endUnit !== undefined && beginUnit === endUnit) {
    const begin = (p[`begin_${beginUnit}`] as number | undefined) ?? 0;
    const end = p[`end_${endUnit}`] as number;
    if (end < begin || (polynomial && end === begin)) {
      say(`end_${endUnit}`, 'pruning-end-before-begin', `train.pruning.end_${endUnit} (${end}) is ${end === begin ? 'at' : 'before'} the begin (${beginUnit} ${begin}); make it later`);
    }
  }
  const epochs = typeof train.epochs === 'number' ? train.epochs : defaultEpochs;
  if (epochs !== undefined && typeof p.end_epoch === 'number' && p.end_epoch > epochs) {
    say('end_epoch', 'pruning-end-after-training', `train.pruning.end_epoch (${p.end_epoch}) is after the last epoch (train.epochs is ${epochs}), so the sparsity would never reach its final value; make it at most ${epochs}`);
  }
  if (epochs !== undefined && typeof p.begin_epoch === 'number' && p.begin_epoch >= epochs) {
    say('begin_epoch', 'pruning-begin-after-training', `train.pruning.begin_epoch (${p.begin_epoch}) is not before the end of training (train.epochs is ${epochs}), so nothing would be pruned; make it less than ${epochs}`);
  }
  if (layers && Array.isArray(p.layers)) {
    const known = [...new Set([...layers.map((l) => l.name), ...layers.map((l) => l.type)])];
    (p.layers as unknown[]).forEach((entry, i) => {
      if (typeof entry !== 'string' || known.includes(entry)) return;
      say('layers', 'pruning-unknown-layer', `train.pruning.layers names '${entry}', which is neither a layer name nor a layer type of this spec${didYouMean(entry, known)}; the spec has ${layers.filter((l) => l.type !== 'input').map((l) => `${l.name} (${l.type})`).join(', ')}`, [...key('layers'), i]);
    });
  }
  return out;
}
