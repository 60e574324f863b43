/**
 * Evaluation beyond the headline metrics: for classification, the confusion
 * matrix, per-class precision/recall/F1, and the largest confusions.
 */

export interface ClassScore {
  class: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface Confusion {
  /** counts[true][predicted] */
  counts: number[][];
  classes: string[];
  per_class: ClassScore[];
  /** The most frequent mistakes, largest first. */
  top_confusions: { true: string; predicted: string; count: number }[];
}

export function confusionReport(flat: ArrayLike<number>, classes: string[]): Confusion {
  const k = classes.length;
  const counts = Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => Math.round(flat[i * k + j]!)));
  const per_class = classes.map((name, i) => {
    const tp = counts[i]![i]!;
    const support = counts[i]!.reduce((a, b) => a + b, 0);
    const predicted = counts.reduce((a, row) => a + row[i]!, 0);
    const precision = predicted > 0 ? tp / predicted : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { class: name, precision, recall, f1, support };
  });
  const mistakes: Confusion['top_confusions'] = [];
  counts.forEach((row, i) => row.forEach((n, j) => i !== j && n > 0 && mistakes.push({ true: classes[i]!, predicted: classes[j]!, count: n })));
  mistakes.sort((a, b) => b.count - a.count);
  return { counts, classes, per_class, top_confusions: mistakes.slice(0, 10) };
}
