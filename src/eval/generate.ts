/**
 * Text from a language model: encode the prompt with the checkpoint's
 * vocabulary, then repeatedly predict the next token from the last window and
 * sample it at a temperature, with a seeded generator.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { Engine } from '../backend/select.js';
import { UsageError } from '../errors.js';
import type { LayersModel } from '../tf-types.js';
import { Rng } from '../rng.js';

export interface GenerateOptions {
  prompt: string;
  length: number;
  temperature: number;
  seed: number;
}

/** Character vocabularies have one-character entries (special tokens such as <unk> aside). */
export function isCharacterVocabulary(vocab: readonly string[]): boolean {
  return vocab.filter((t) => !/^<.+>$/.test(t)).every((t) => [...t].length === 1);
}

export function encode(text: string, vocab: readonly string[], option = '--prompt'): number[] {
  const index = new Map(vocab.map((t, i) => [t, i]));
  const unk = index.get('<unk>');
  const tokens = isCharacterVocabulary(vocab) ? [...text] : text.split(/\s+/).filter(Boolean);
  return tokens.map((t) => {
    const id = index.get(t);
    if (id !== undefined) return id;
    if (unk !== undefined) return unk;
    throw new UsageError({ arg: option, code: 'unknown-token', message: `'${t}' is not in the model's vocabulary of ${vocab.length} tokens; leave it out of the prompt` });
  });
}

/** Sample an index from probabilities at a temperature (0: the most likely). */
export function sample(probs: ArrayLike<number>, temperature: number, rng: Rng): number {
  let best = 0;
  for (let i = 1; i < probs.length; i++) if (probs[i]! > probs[best]!) best = i;
  if (temperature <= 0) return best;
  const logits = Array.from(probs, (p) => Math.log(Math.max(p, 1e-12)) / temperature);
  const max = Math.max(...logits);
  const w = logits.map((l) => Math.exp(l - max));
  let r = rng.next() * w.reduce((a, b) => a + b, 0);
  for (let i = 0; i < w.length; i++) {
    r -= w[i]!;
    if (r <= 0) return i;
  }
  return w.length - 1;
}

export function generateText(engine: Engine, model: LayersModel, vocab: readonly string[], o: GenerateOptions): string {
  const { tf } = engine;
  const inShape = model.inputs[0]!.shape;
  const window = inShape[1];
  if (inShape.length !== 2 || typeof window !== 'number') {
    throw new UsageError({ arg: 'generate', code: 'not-a-language-model', message: `the model takes input ${JSON.stringify(inShape)}, not a window of token ids; generate works with language models such as configs/moby-dick-lstm.yaml` });
  }
  const ids = encode(o.prompt, vocab);
  const pad = vocab.indexOf(' ') >= 0 ? vocab.indexOf(' ') : 0;
  const rng = new Rng(o.seed);
  const chars = isCharacterVocabulary(vocab);
  const out: string[] = [];
  const context = [...new Array<number>(Math.max(0, window - ids.length)).fill(pad), ...ids].slice(-window);
  for (let i = 0; i < o.length; i++) {
    const probs = tf.tidy(() => {
      const y = model.predict(tf.tensor2d([context], [1, window], 'int32')) as Tensor;
      // [1, vocab] for a next-token model, [1, steps, vocab] for one that predicts every step: take the last.
      const last = y.rank === 3 ? tf.squeeze(tf.slice(y, [0, y.shape[1]! - 1, 0], [1, 1, -1])) : tf.squeeze(y);
      return last.dataSync();
    });
    const next = sample(probs, o.temperature, rng);
    out.push(vocab[next] ?? '');
    context.shift();
    context.push(next);
  }
  return chars ? out.join('') : out.join(' ');
}
