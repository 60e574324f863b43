/**
 * The spec's `train:` section: its own keys with their defaults, and its JSON
 * Schema, built from the training registry (an optimizer, a schedule or a
 * metric is allowed where the registry has an entry for it, with exactly that
 * entry's keys). `train/config.ts` fills in these defaults; docs/training.md
 * is rendered from the same data.
 */
import type { Diagnostic, Place } from '../errors.js';
import { bool, int, keyedObject, num } from '../document/json-schema.js';
import type { JsonSchema, Param } from '../document/json-schema.js';
import type { SpecPath } from '../document/source.js';
import { closest, didYouMean } from '../document/suggest.js';
import { directionOf, LOSS_KEY, trainRegistry, VALIDATION_PREFIX } from './catalog.js';
import type { Entry, TrainRegistry } from './entry.js';
import { modeParam, MONITORING_SECTIONS, monitorParam } from './monitor.js';
import { checkPruning, pruningSchema } from './pruning.js';
import { checkDistill, distillSchema } from './distill.js';
import type { NamedLayer } from './pruning.js';

/** The metric watched when a section leaves `monitor` out. */
export function defaultMonitor(hasValidation: boolean): string {
  return hasValidation ? `${VALIDATION_PREFIX}${LOSS_KEY}` : LOSS_KEY;
}


/** The engines that train a spec: TensorFlow.js in this process (the default), or PyTorch in a Python process (src/torch/). */
export const ENGINES = ['tfjs', 'torch'] as const;
export type EngineName = (typeof ENGINES)[number];

/** `train.early_stopping`'s keys. */
export const earlyStoppingKeys: Record<string, Param> = {
  monitor: monitorParam('watched'),
  mode: modeParam,
  patience: int('Epochs without improvement before stopping.', { min: 1, default: 5 }),
  min_delta: num('The smallest change that counts as an improvement.', { min: 0, default: 0 }),
  restore_best: bool('End with the weights of the best epoch.', true),
};

/** `train.checkpoint`'s keys. */
export const checkpointKeys: Record<string, Param> = {
  keep_last: int('How many of the most recent checkpoints to keep (the best is kept as well).', { min: 1, default: 3 }),
  monitor: monitorParam('that decides the best checkpoint'),
  mode: modeParam,
};

/** The `train:` keys, in the order the docs list them. Optimizer, loss, metric and schedule values come from the registry. */
export function trainKeys(registry: TrainRegistry = trainRegistry): Record<string, Param> {
  const optimizers = registry.optimizers.names();
  return {
    engine: {
      schema: { enum: [...ENGINES], description: 'What trains the model: tfjs, TensorFlow.js inside strata (the default, nothing to install), or torch, PyTorch in a Python process strata starts (docs/engines.md). `strata train --engine` overrides it.', default: 'tfjs' },
      default: 'tfjs',
    },
    epochs: int('Passes over the training data.', { min: 1, default: 10 }),
    batch_size: int('Examples per gradient step.', { min: 1, default: 32 }),
    optimizer: {
      schema: {
        type: ['string', 'object'],
        description: 'An optimizer name, or a mapping with `type` and that optimizer’s settings (docs/training.md lists them).',
        default: 'adam',
        if: { type: 'string' },
        then: { enum: optimizers },
        else: { $ref: '#/$defs/optimizer' },
      },
      default: 'adam',
    },
    loss: { schema: { enum: registry.losses.names(), description: 'The loss to minimize.', default: 'categorical_crossentropy' }, default: 'categorical_crossentropy' },
    metrics: { schema: { type: 'array', items: { enum: registry.metrics.names() }, uniqueItems: true, description: 'Metrics reported each epoch, on the training and the validation data.', default: [] }, default: [] },
    top_k: int('k for top_k_accuracy.', { min: 1, default: 5 }),
    schedule: { schema: { $ref: '#/$defs/schedule', description: 'How the learning rate changes during training (default: constant).' } },
    clip_norm: num('Scale gradients down so that their global L2 norm is at most this.', { exclusiveMin: 0 }),
    clip_value: num('Clip each gradient element to [-clip_value, clip_value].', { exclusiveMin: 0 }),
    label_smoothing: num('Mix one-hot targets with the uniform distribution by this much (cross-entropy losses).', { min: 0, exclusiveMax: 1, default: 0 }),
    class_weights: {
      schema: {
        type: 'object',
        additionalProperties: { type: 'number', minimum: 0 },
        minProperties: 1,
        description: 'Weight of each class in the loss, by class index or name, such as {"0": 1, "1": 5}; unlisted classes weigh 1.',
      },
    },
    early_stopping: { schema: keyedObject('Stop when the monitored metric has not improved for `patience` epochs.', earlyStoppingKeys) },
    checkpoint: { schema: keyedObject('Which checkpoints a run keeps.', checkpointKeys) },
    pruning: { schema: { $ref: '#/$defs/pruning', description: 'Magnitude pruning during training (docs/compression.md#pruning).' } },
    distill: { schema: { $ref: '#/$defs/distill', description: 'Knowledge distillation from a teacher run (docs/compression.md#distillation).' } },
    steps_per_epoch: int('Stop each epoch after this many batches (for quick trials).', { min: 1 }),
    carry_state: bool(
      'Truncated backpropagation through time: deal the consecutive windows of text or series data (stride equal to sequence_length or window) into batch_size lanes, and start each batch of every lstm and gru layer from the state the previous batch ended in, in training and evaluation; states restart from zeros each epoch.',
      false,
    ),
  };
}

/** One entry's mapping: `type` and its own keys, nothing else. */
function entryObject(kind: string, def: Entry): JsonSchema {
  const properties: Record<string, JsonSchema> = { type: { const: def.name, description: def.description } };
  const required = ['type'];
  for (const [key, p] of Object.entries(def.params)) {
    properties[key] = p.schema;
    if (p.required) required.push(key);
  }
  return { type: 'object', title: `${kind} ${def.name}`, description: def.description, properties, required, additionalProperties: false };
}

/** `type` picks one entry's mapping. */
function dispatch(kind: string, defs: Iterable<Entry>, description: string): Record<string, JsonSchema> {
  const list = [...defs];
  const out: Record<string, JsonSchema> = {
    [kind]: {
      type: 'object',
      description,
      required: ['type'],
      properties: { type: { enum: list.map((d) => d.name), description: `The ${kind}.` } },
      allOf: list.map((d) => ({ if: { properties: { type: { const: d.name } }, required: ['type'] }, then: { $ref: `#/$defs/${kind}.${d.name}` } })),
    },
  };
  for (const d of list) out[`${kind}.${d.name}`] = entryObject(kind, d);
  return out;
}

/** The `train` section's schema and the `$defs` it refers to. */
export function trainSchema(registry: TrainRegistry = trainRegistry): { section: JsonSchema; defs: Record<string, JsonSchema> } {
  return {
    section: keyedObject('How the model is trained.', trainKeys(registry)),
    defs: {
      ...dispatch('optimizer', registry.optimizers, 'The optimizer and its settings.'),
      ...dispatch('schedule', registry.schedules, 'How the learning rate changes during training; every schedule but one_cycle takes a linear warmup.'),
      pruning: pruningSchema(),
      distill: distillSchema(),
    },
  };
}

/**
 * Checks of the `train:` section the schema cannot make: every monitored name is
 * the loss or a listed metric (as is or with val_), label_smoothing has a loss
 * that uses it, and `pruning`'s bounds and layers make sense (`layers`: the
 * spec's layers, when its graph was read). `at` places a path of the spec.
 */
export function checkTrainSection(train: Record<string, unknown> | undefined, at: (path: SpecPath) => Place, registry: TrainRegistry = trainRegistry, layers?: readonly NamedLayer[]): Diagnostic[] {
  if (!train) return [];
  const out: Diagnostic[] = [];
  const metrics = (train.metrics as string[] | undefined) ?? [];
  const logged = [LOSS_KEY, ...metrics].flatMap((n) => [n, `${VALIDATION_PREFIX}${n}`]);
  const watch = (path: string[]) => {
    let v: unknown = train;
    for (const k of path) v = (v as Record<string, unknown> | undefined)?.[k];
    if (typeof v !== 'string' || logged.includes(v)) return;
    const key = ['train', ...path];
    const base = v.startsWith(VALIDATION_PREFIX) ? v.slice(VALIDATION_PREFIX.length) : v;
    if (directionOf(v, registry) !== undefined) {
      out.push({ ...at(key), code: 'unlogged-metric', message: `train.${path.join('.')} watches ${v}, but ${base} is not in train.metrics, so it is never computed; add ${base} to train.metrics` });
      return;
    }
    const suggestion = closest(v, logged);
    out.push({
      ...at(key),
      code: 'unknown-metric',
      message: `train.${path.join('.')} watches '${v}', which training does not log${didYouMean(v, logged)}; it logs ${logged.join(', ')}`,
      ...(suggestion ? { suggestion } : {}),
    });
  };
  for (const section of MONITORING_SECTIONS) watch([section, 'monitor']);
  const loss = registry.losses.get(String(train.loss ?? trainKeys(registry).loss!.default));
  if (typeof train.label_smoothing === 'number' && train.label_smoothing > 0 && loss && !loss.smoothing) {
    out.push({ ...at(['train', 'label_smoothing']), code: 'no-smoothing', message: `label_smoothing applies to cross-entropy losses, and ${loss.name} is not one; remove it` });
  }
  out.push(...checkPruning(train, at, layers, trainKeys(registry).epochs!.default as number));
  out.push(...checkDistill(train, at, String(train.loss ?? trainKeys(registry).loss!.default)));
  return out;
}

/**
 * A spec saved with a run by an earlier strata, which accepted any optimizer or
 * schedule key on any type and ignored the ones a type does not take: drop
 * those keys (returned as paths) so that the run still opens. Only for specs
 * read back from run directories, never for a spec a user gives.
 */
export function dropIgnoredKeys(train: Record<string, unknown> | undefined, registry: TrainRegistry = trainRegistry): string[] {
  const dropped: string[] = [];
  const sections: [string, { get(name: string): Entry | undefined }][] = [
    ['optimizer', registry.optimizers],
    ['schedule', registry.schedules],
  ];
  for (const [key, catalog] of sections) {
    const value = train?.[key];
    if (!value || typeof value !== 'object' || Array.isArray(value)) continue;
    const mapping = value as Record<string, unknown>;
    const def = catalog.get(String(mapping.type));
    if (!def) continue;
    for (const k of Object.keys(mapping)) {
      if (k !== 'type' && !(k in def.params)) {
        delete mapping[k];
        dropped.push(`train.${key}.${k}`);
      }
    }
  }
  return dropped;
}

/** How class labels reach each loss, in one sentence for people (docs/training.md, `strata datasets`). */
export function labelsSentence(registry: TrainRegistry = trainRegistry): string {
  const named = (targets: string) => [...registry.losses].filter((l) => l.targets === targets).map((l) => `\`${l.name}\``).join(' and ');
  return `The loss decides how class labels reach the model: class ids for ${named('sparse')}; for ${named('binary')} with one sigmoid unit over two classes, one 0/1 value; one-hot rows otherwise.`;
}
