/**
 * The masks of `train.pruning` (train-registry/pruning.ts holds the keys and
 * the schedule): which kernels are pruned, their masks, recomputed by magnitude
 * at the pruning steps, and applied after every optimizer step (weights ×
 * mask), so that the pruned weights are zero in every checkpoint. The masks are
 * saved with each checkpoint and put back on resume (`snapshot`, `restore`).
 */
import type { Tensor, Variable } from '@tensorflow/tfjs-core';
import type { SpecPath } from '../document/source.js';
import type { Place } from '../errors.js';
import { UsageError } from '../errors.js';
import { DEFAULT_PRUNED_CLASSES, isKernel, keptCount, pruningPlan, prunesAt, SPARSITY_PREFIX, sparsityAt } from '../train-registry/pruning.js';
import type { NamedLayer, PruningPlan } from '../train-registry/pruning.js';
import type { LayersModel, TfCore } from '../tf-types.js';

/** One pruned kernel. */
interface Pruned {
  /** The weight's name in the model (`dense_1/kernel`), as checkpoints name it. */
  name: string;
  /** The TensorFlow.js layer it belongs to: its sparsity is logged under this name. */
  layer: string;
  variable: Variable;
  shape: number[];
  /** 1 where the weight is kept, 0 where it is pruned; undefined before the first pruning step. */
  mask?: Uint8Array;
  maskTensor?: Tensor;
}

/** The masks as a checkpoint holds them: each pruned weight's name and shape, and its mask's bytes (0 or 1), one after the other. */
export interface MaskSnapshot {
  masks: { name: string; shape: number[] }[];
  data: Uint8Array;
}

/** Where the spec says what to prune: its layers (names and types) and the place of a key, for the refusal of a `layers` entry that selects no kernel. */
export interface PruningSpecInfo {
  layers: readonly NamedLayer[];
  at: (path: SpecPath) => Place;
}

/** The spec layer a TensorFlow.js layer comes from: the one of its name, else the block whose name it starts with (inner layers are named `<block>_<slot>`). */
function specLayerOf(layerName: string, layers: readonly NamedLayer[]): NamedLayer | undefined {
  const exact = layers.find((l) => l.name === layerName);
  if (exact) return exact;
  return layers.filter((l) => layerName.startsWith(`${l.name}_`)).sort((a, b) => b.name.length - a.name.length)[0];
}

export class Pruner {
  private readonly pruned: Pruned[];
  private plan: PruningPlan | undefined;

  /** Selects the kernels to prune; a `layers` entry that selects none is refused at its place. */
  constructor(
    private readonly tf: TfCore,
    model: LayersModel,
    private readonly section: Record<string, unknown>,
    spec?: PruningSpecInfo,
  ) {
    const wanted = Array.isArray(section.layers) ? (section.layers as string[]) : undefined;
    const hits = new Map<string, number>();
    this.pruned = [];
    for (const layer of model.layers) {
      const from = spec ? specLayerOf(layer.name, spec.layers) : undefined;
      const selectedBy = wanted ? wanted.filter((w) => w === layer.name || (from && (w === from.name || w === from.type))) : undefined;
      if (wanted ? selectedBy!.length === 0 : !DEFAULT_PRUNED_CLASSES.has(layer.getClassName())) continue;
      for (const w of layer.trainableWeights) {
        if (!isKernel(w.originalName)) continue;
        for (const s of selectedBy ?? []) hits.set(s, (hits.get(s) ?? 0) + 1);
        this.pruned.push({ name: w.originalName, layer: layer.name, variable: w.read() as Variable, shape: [...w.shape] as number[] });
      }
    }
    wanted?.forEach((w, i) => {
      if (hits.has(w)) return;
      throw new UsageError({
        ...(spec ? spec.at(['train', 'pruning', 'layers', i]) : {}),
        code: 'pruning-nothing-to-prune',
        message: `train.pruning.layers names '${w}', which has no trainable kernel to prune (only the kernels of dense, convolution and recurrent layers are pruned); remove it`,
      });
    });
  }

  /** The names of the pruned kernels, in order. */
  get names(): string[] {
    return this.pruned.map((p) => p.name);
  }

  /** Called by the training loop before its first step: bounds given in epochs become steps. At step 0 (a run's start) step 0 may prune. */
  begin(stepsPerEpoch: number, step: number): void {
    this.plan = pruningPlan(this.section, stepsPerEpoch);
    if (step === 0) this.afterStep(0);
  }

  /** After the optimizer step that brought the count of steps to `t`: new masks at a pruning step, then every kernel times its mask. */
  afterStep(t: number): void {
    const plan = this.plan;
    if (!plan) throw new Error('Pruner.begin was not called');
    if (prunesAt(plan, t)) this.recompute(sparsityAt(plan, t));
    const { tf } = this;
    for (const p of this.pruned) {
      if (!p.maskTensor) continue;
      const m = p.maskTensor;
      tf.tidy(() => {
        p.variable.assign(tf.mul(p.variable, m));
      });
    }
  }

  /** Each kernel's mask anew: its keptCount largest magnitudes (ties: the earlier element), the rest 0. */
  private recompute(sparsity: number): void {
    for (const p of this.pruned) {
      const values = p.variable.dataSync() as Float32Array;
      const n = values.length;
      const keep = keptCount(n, sparsity);
      const abs = new Float32Array(n);
      for (let i = 0; i < n; i++) abs[i] = Math.abs(values[i]!);
      const order = new Uint32Array(n);
      for (let i = 0; i < n; i++) order[i] = i;
      order.sort((a, b) => abs[b]! - abs[a]! || a - b);
      const mask = new Uint8Array(n);
      for (let i = 0; i < keep; i++) mask[order[i]!] = 1;
      this.setMask(p, mask);
    }
  }

  private setMask(p: Pruned, mask: Uint8Array): void {
    p.maskTensor?.dispose();
    p.mask = mask;
    p.maskTensor = this.tf.keep(this.tf.tensor(Float32Array.from(mask), p.shape, 'float32'));
  }

  /** Each pruned layer's sparsity (the fraction of its pruned kernels' elements its masks zero; 0 before any mask), as `sparsity/<layer>` keys. */
  sparsity(): Record<string, number> {
    const zeros = new Map<string, [number, number]>();
    for (const p of this.pruned) {
      const size = p.shape.reduce((a, b) => a * b, 1);
      const z = p.mask ? p.mask.reduce((a, v) => a + (v === 0 ? 1 : 0), 0) : 0;
      const [za, sa] = zeros.get(p.layer) ?? [0, 0];
      zeros.set(p.layer, [za + z, sa + size]);
    }
    return Object.fromEntries([...zeros].map(([layer, [z, size]]) => [`${SPARSITY_PREFIX}${layer}`, z / size]));
  }

  /** The masks for a checkpoint; undefined before the first pruning step (no masks yet). */
  snapshot(): MaskSnapshot | undefined {
    const withMasks = this.pruned.filter((p) => p.mask);
    if (withMasks.length === 0) return undefined;
    const total = withMasks.reduce((a, p) => a + p.mask!.length, 0);
    const data = new Uint8Array(total);
    let offset = 0;
    for (const p of withMasks) {
      data.set(p.mask!, offset);
      offset += p.mask!.length;
    }
    return { masks: withMasks.map((p) => ({ name: p.name, shape: p.shape })), data };
  }

  /** Put back a checkpoint's masks, by weight name; a weight the checkpoint has no mask of (or one of another shape) starts without one. */
  restore(s: MaskSnapshot): void {
    let offset = 0;
    for (const m of s.masks) {
      const size = m.shape.reduce((a, b) => a * b, 1);
      const bytes = s.data.subarray(offset, offset + size);
      offset += size;
      const p = this.pruned.find((q) => q.name === m.name && q.shape.join() === m.shape.join());
      if (p && bytes.length === size) this.setMask(p, Uint8Array.from(bytes));
    }
  }

  dispose(): void {
    for (const p of this.pruned) {
      p.maskTensor?.dispose();
      delete p.maskTensor;
    }
  }
}
