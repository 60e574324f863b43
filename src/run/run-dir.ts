/** A run directory: the resolved spec, metrics.jsonl and checkpoints/. */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';

export const RUN_SPEC = 'spec.yaml';
export const CHECKPOINTS = 'checkpoints';

/** runs/<name>-YYYYMMDD-HHMMSS, in local time. */
export function defaultRunDir(name: string, now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  return join('runs', `${name}-${stamp}`);
}

/** Create a new, empty run directory; an existing non-empty one is never reused (its work would be lost). */
export function createRunDir(dir: string, option: string): void {
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw new UsageError({
      arg: `${option} ${dir}`,
      code: 'run-exists',
      message: `'${dir}' already exists and is not empty; choose another directory, or continue that run with --resume ${dir}`,
    });
  }
  mkdirSync(join(dir, CHECKPOINTS), { recursive: true });
}
