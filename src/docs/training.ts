/** The training reference (`docs/training.md`), rendered from the training registry. */
import type { Param } from '../document/json-schema.js';
import type { Entry, TrainRegistry } from '../train-registry/entry.js';
import { LOSS_KEY, VALIDATION_PREFIX } from '../train-registry/catalog.js';
import { checkpointKeys, earlyStoppingKeys, labelsSentence, trainKeys } from '../train-registry/section.js';
import { pruningKeys } from '../train-registry/pruning.js';
import { distillKeys } from '../train-registry/distill.js';
import { keyRow, KEY_TABLE_HEAD } from './tables.js';

function keyTable(keys: Record<string, Param>): string[] {
  return [...KEY_TABLE_HEAD, ...Object.entries(keys).map(([k, p]) => keyRow(k, p.schema, p.required === true))];
}

function entrySection(e: Entry, extra = ''): string[] {
  const lines = [`### \`${e.name}\``, '', `${e.description}${extra}`, ''];
  if (Object.keys(e.params).length > 0) lines.push(...keyTable(e.params), '');
  return lines;
}

const names = (xs: Iterable<Entry>) => [...xs].map((e) => `\`${e.name}\``).join(', ');

export function renderTrainingDocs(registry: TrainRegistry): string {
  const keys = trainKeys(registry);
  const out = [
    '# Training reference',
    '',
    '<!-- Generated from the training registry by `npm run generate`; do not edit by hand. -->',
    '',
    'The `train:` section of a spec says how a model is trained. Every key is optional; the defaults are those below. [spec.md](spec.md#train) shows examples and explains carrying states across windows.',
    '',
    ...keyTable(keys),
    '',
    '`early_stopping`:',
    '',
    ...keyTable(earlyStoppingKeys),
    '',
    '`checkpoint`:',
    '',
    ...keyTable(checkpointKeys),
    '',
    '`pruning` ([compression.md](compression.md#pruning)): the keys of one schedule, `polynomial` or `constant`; each bound in steps or in epochs, both the same way:',
    '',
    ...keyTable(pruningKeys),
    '',
    '`distill` ([compression.md](compression.md#distillation)): loss = alpha · the loss on the labels + (1 − alpha) · T² · KL(softmax(teacher logits / T) ‖ softmax(student logits / T)), as Keras’s distillation example; the logits are the logarithms of the softmax outputs:',
    '',
    ...keyTable(distillKeys),
    '',
    `A monitored name is \`${LOSS_KEY}\` or a metric listed in \`metrics\`, as is (the training data) or with \`${VALIDATION_PREFIX}\` in front (the validation data). Each metric says below whether higher or lower is better; \`${LOSS_KEY}\` is lower.`,
    '',
    '## Optimizers',
    '',
    `\`optimizer\` is one of ${names(registry.optimizers)}, with that optimizer’s defaults, or a mapping with \`type\` and any of its keys, such as \`{type: adamw, learning_rate: 0.003, weight_decay: 0.05}\`.`,
    '',
    ...[...registry.optimizers].flatMap((o) => entrySection(o, ` Keras: \`${o.keras}\`.`)),
    '## Losses',
    '',
    `\`loss\` is one of ${names(registry.losses)}. ${labelsSentence(registry)}`,
    '',
    `With ${[...registry.losses].filter((l) => l.fromLogits).map((l) => `\`${l.name}\``).join(' or ')}, a model whose output is a \`dense\` softmax trains on the loss computed from the softmax's logits, its gradient in closed form, as Keras differentiates cross-entropy for a softmax output: the same to rounding, and a probability under the log's clip (1e-7) still gets its gradient (the loss reported is still clipped there). A plain stack (\`flatten\`, \`dense\`, \`conv2d\` with relu or linear activations and \`max_pool2d\`, each reading the one before) takes its whole step by hand, without TensorFlow.js's tape and with fewer kernels (docs/performance.md); dropout, normalization, other layers and activations, and regularizers keep the tape for the layers before the output. Class weights keep the loss of the probabilities.`,
    '',
    ...[...registry.losses].flatMap((l) => entrySection(l, ` Keras: \`${l.keras}\`.${l.smoothing ? ' Takes `label_smoothing`.' : ''}`)),
    '## Learning-rate schedules',
    '',
    `\`schedule\` is a mapping with \`type\` (${names(registry.schedules)}) and that schedule’s keys, such as \`{type: cosine, warmup_epochs: 1}\`. Without one, the rate is the optimizer’s \`learning_rate\` throughout.`,
    '',
    ...[...registry.schedules].flatMap((s) => entrySection(s)),
    '## Metrics',
    '',
    `\`metrics\` lists any of these; each is reported every epoch on the training data and, as \`${VALIDATION_PREFIX}\` + its name, on the validation data.`,
    '',
    '| metric | better | meaning |',
    '| --- | --- | --- |',
    ...[...registry.metrics].map((m) => `| \`${m.name}\` | ${m.direction === 'max' ? 'higher' : 'lower'} | ${m.description.replace(/\|/g, '\\|')} |`),
  ];
  return `${out.join('\n').trimEnd()}\n`;
}
