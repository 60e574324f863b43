/**
 * The distillation term of `train.distill` (train-registry/distill.ts holds the
 * keys): KL(softmax(teacher logits / T) ‖ softmax(student logits / T)) · T², as
 * Keras's distillation example computes it with `keras.losses.KLDivergence`
 * (both distributions clipped to [1e-7, 1], summed over the classes, averaged
 * over the examples). strata's classifiers end in a softmax, so the logits are
 * the logarithms of their outputs (floored at 1e-30, so that a confident
 * teacher's small probabilities keep their order): softmax(log p / T) is
 * softmax(z / T) for the pre-softmax z exactly, since log p = z - logsumexp(z)
 * differs from z by a constant per example.
 */
import type { Scalar, Tensor } from '@tensorflow/tfjs-core';
import type { TfCore } from '../tf-types.js';

/** Keras's epsilon: where probabilities are clipped before their logarithm. */
export const DISTILL_EPSILON = 1e-7;

/**
 * Where probabilities are floored before their logarithm, the logits: far below Keras's epsilon,
 * since a trained teacher gives its wrong classes 1e-9 to 1e-12, whose order the softened
 * distribution should keep (at 1e-7 they would all be equal, and weigh several times more).
 */
export const LOGIT_FLOOR = 1e-30;

/** The logits of softmax outputs: log p, p floored at LOGIT_FLOOR. */
export function logitsOf(tf: TfCore, probabilities: Tensor): Tensor {
  return tf.log(tf.clipByValue(probabilities, LOGIT_FLOOR, 1));
}

/** T² · mean over examples of KL(softmax(log teacher / T) ‖ softmax(log student / T)), both given as probabilities over the last axis. */
export function distillationTerm(tf: TfCore, teacher: Tensor, student: Tensor, temperature: number): Scalar {
  return tf.tidy(() => {
    const soft = (p: Tensor) => tf.clipByValue(tf.softmax(tf.div(logitsOf(tf, p), temperature)), DISTILL_EPSILON, 1);
    const t = soft(teacher);
    const s = soft(student);
    const kl = tf.sum(tf.mul(t, tf.log(tf.div(t, s))), -1);
    return tf.mul(tf.mean(kl), temperature * temperature) as Scalar;
  });
}
