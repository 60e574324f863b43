/** `metrics.jsonl`: one JSON line per finished epoch, flushed as it is written. */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { replaceFile } from '../checkpoint/durable.js';
import { osFailure } from '../errors.js';

const rel = (p: string) => relative(process.cwd(), p) || '.';

export const METRICS_FILE = 'metrics.jsonl';
/** Training internals, one JSON line per record: `{"step", "epoch", "grad_norms": {layer: L2 norm}}`. */
export const INTERNALS_FILE = 'internals.jsonl';

export function appendMetrics(file: string, log: Record<string, unknown>): void {
  try {
    appendFileSync(file, `${JSON.stringify(log)}\n`, { flush: true } as Parameters<typeof appendFileSync>[2]);
  } catch (e) {
    throw osFailure(e, `cannot append to ${rel(file)}`);
  }
}

export function readMetrics(file: string): Record<string, number>[] {
  if (!existsSync(file)) return [];
  const out: Record<string, number>[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line) as Record<string, number>);
    } catch {
      // A line cut short by a crash: everything before it stands.
      break;
    }
  }
  return out;
}

/** On resume: keep only the epochs up to the checkpoint's (a crash may have logged epochs after it). */
export function truncateMetrics(file: string, epochs: number): void {
  const kept = readMetrics(file).filter((l) => typeof l.epoch === 'number' && l.epoch <= epochs);
  try {
    replaceFile(file, kept.map((l) => `${JSON.stringify(l)}\n`).join(''));
  } catch (e) {
    throw osFailure(e, `cannot rewrite ${rel(file)}`);
  }
}
