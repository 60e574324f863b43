/**
 * `train.distill`: knowledge distillation as in Keras's example (Hinton et al.):
 * the loss is alpha · the loss on the labels + (1 - alpha) · T² · KL(softmax(teacher
 * logits / T) ‖ softmax(student logits / T)). The keys (schema and docs) and the
 * checks a schema cannot make; the term itself is train/distill.ts.
 */
import type { Diagnostic, Place } from '../errors.js';
import type { JsonSchema, Param } from '../document/json-schema.js';
import { keyedObject, num, str } from '../document/json-schema.js';
import type { SpecPath } from '../document/source.js';

/** The losses distillation works with: those of a softmax output over classes. */
export const DISTILL_LOSSES: readonly string[] = ['categorical_crossentropy', 'sparse_categorical_crossentropy'];

/** `train.distill`'s keys (defaults: Keras's Distiller.compile). */
export const distillKeys: Record<string, Param> = {
  teacher: str('The teacher: a strata run directory or one of its checkpoints, relative to the spec file (its best checkpoint for a run). Its inputs and outputs must have the shapes of this model’s.', { required: true }),
  temperature: num('T: both models’ logits are divided by it before the softmax; above 1 the teacher’s distribution is softer. The term is scaled by T².', { exclusiveMin: 0, default: 3 }),
  alpha: num('The weight of the loss on the labels; the distillation term weighs 1 - alpha. 1 trains on the labels alone.', { min: 0, max: 1, default: 0.1 }),
};

export function distillSchema(): JsonSchema {
  return keyedObject('Knowledge distillation from a trained teacher run (docs/compression.md#distillation).', distillKeys);
}

/** The checks of `train.distill` a schema cannot make: the loss is one over a softmax output. The teacher is checked when training starts (run/teacher.ts). */
export function checkDistill(train: Record<string, unknown>, at: (path: SpecPath) => Place, loss: string): Diagnostic[] {
  if (!train.distill || typeof train.distill !== 'object') return [];
  if (DISTILL_LOSSES.includes(loss)) return [];
  return [
    {
      ...at(['train', 'distill']),
      code: 'distill-loss',
      message: `train.distill needs a classifier trained with ${DISTILL_LOSSES.join(' or ')} (a softmax output, whose probabilities give the logits), and the loss is ${loss}; change train.loss or remove train.distill`,
    },
  ];
}
