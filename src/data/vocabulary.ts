/** Tokens and vocabularies for text: built from the training part only, most frequent first. */

export const PAD = '<pad>';
export const UNK = '<unk>';

export function tokenize(text: string, kind: 'character' | 'word'): string[] {
  if (kind === 'character') return [...text];
  return text.toLowerCase().match(/[\p{L}\p{N}]+(?:'[\p{L}]+)?/gu) ?? [];
}

/**
 * The vocabulary of `counts`: `specials` first, then tokens by falling count
 * (ties in code-point order, so it is the same on every machine), at most
 * `max` entries in all.
 */
export function buildVocabulary(counts: Map<string, number>, specials: string[], max?: number): string[] {
  const ranked = [...counts.entries()].filter(([t]) => !specials.includes(t)).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const room = max === undefined ? ranked.length : Math.max(0, max - specials.length);
  return [...specials, ...ranked.slice(0, room).map(([t]) => t)];
}

export function countTokens(tokens: Iterable<string>, into = new Map<string, number>()): Map<string, number> {
  for (const t of tokens) into.set(t, (into.get(t) ?? 0) + 1);
  return into;
}

/** Token ids, unknown tokens as `<unk>`. */
export function encodeTokens(tokens: readonly string[], vocab: readonly string[]): Int32Array {
  const index = new Map(vocab.map((t, i) => [t, i]));
  const unk = index.get(UNK) ?? 0;
  return Int32Array.from(tokens, (t) => index.get(t) ?? unk);
}
