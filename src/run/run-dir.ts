/** A run directory: the resolved spec, metrics.jsonl and checkpoints/. */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { osFailure, UsageError } from '../errors.js';
import type { Place } from '../errors.js';

export const RUN_SPEC = 'spec.yaml';
export const CHECKPOINTS = 'checkpoints';

/** runs/<name>-YYYYMMDD-HHMMSS, in local time. */
export function defaultRunDir(name: string, now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  return join('runs', `${name}-${stamp}`);
}

/**
 * Create a new, empty run directory; an existing non-empty one is never reused (its work would be lost).
 * A failure of the operating system exits 1 naming the directory; given `defaultName` (the place of
 * the spec's name, when `dir` is the default made from it), a name too long for the file system is
 * the user's to change (exit 2).
 */
export function createRunDir(dir: string, option: string, defaultName?: Place): void {
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw new UsageError({
      arg: `${option} ${dir}`,
      code: 'run-exists',
      message: `'${dir}' already exists and is not empty; choose another directory, or continue that run with --resume ${dir}`,
    });
  }
  try {
    mkdirSync(join(dir, CHECKPOINTS), { recursive: true });
  } catch (e) {
    const shown = relative(process.cwd(), dir) || '.';
    if (defaultName && (e as NodeJS.ErrnoException).code === 'ENAMETOOLONG') {
      throw new UsageError({
        ...defaultName,
        code: 'run-dir-too-long',
        message: `the run directory ${shown} is a name too long for the file system (ENAMETOOLONG); choose the directory with --out DIR, or give the spec a shorter name`,
      });
    }
    throw osFailure(e, `cannot create the run directory ${shown}`, { ENOENT: 'a folder it goes in does not exist' });
  }
}
