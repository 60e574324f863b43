/** "Did you mean" suggestions for near misses of keys and layer types. */

/** Damerau-Levenshtein distance (optimal string alignment), case-insensitive. */
export function editDistance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) d.push([i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 0; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

const normalize = (s: string) => s.toLowerCase().replace(/[-_ ]/g, '');

/** The closest candidate, if it is close enough to be a plausible typo. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    // Spelling differences in separators alone ("maxpool2d", "max-pool2d") are the nearest miss.
    const score = normalize(c) === normalize(word) ? 0 : editDistance(word, c);
    if (score < bestScore) {
      best = c;
      bestScore = score;
    }
  }
  const limit = Math.max(1, Math.min(3, Math.floor(word.length / 3)));
  return best !== undefined && bestScore <= limit ? best : undefined;
}

/** ` (did you mean 'x'?)`, or the empty string when nothing is close. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const c = closest(word, candidates);
  return c === undefined ? '' : ` (did you mean '${c}'?)`;
}

/**
 * Up to `n` candidates near `word`, nearest first: a near miss in spelling, or a name
 * the word contains or is contained in (`CuDNNLSTM` and `LSTM`, `SpatialDropout1D` and
 * `Dropout`; names of four letters or more, so `Add` is not near every `Add...`).
 */
export function nearest(word: string, candidates: Iterable<string>, n = 3): string[] {
  const w = normalize(word);
  const limit = Math.max(2, Math.floor(word.length / 3));
  const scored: { c: string; score: number }[] = [];
  for (const c of candidates) {
    const k = normalize(c);
    if (k === w) continue;
    const contains = Math.min(k.length, w.length) >= 4 && (w.includes(k) || k.includes(w));
    const score = contains ? 1 : editDistance(word, c);
    if (score <= limit) scored.push({ c, score });
  }
  return scored.sort((a, b) => a.score - b.score).slice(0, n).map((s) => s.c);
}
