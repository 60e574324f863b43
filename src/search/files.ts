/**
 * The files of a search directory, named once: what `strata search` writes,
 * `--resume` reads back, and `strata report` draws.
 *
 *     DIR/search.yaml         the spec searched (spec-relative paths made absolute)
 *     DIR/search.json         the options its trials train with (--set, --engine, parallel)
 *     DIR/search.jsonl        one line per trial
 *     DIR/trials/NNN.yaml     each trial's spec; DIR/trials/NNN/ its run directory
 *     DIR/best.yaml           the best trial's spec
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const SEARCH_SPEC = 'search.yaml';
export const SEARCH_OPTIONS = 'search.json';
export const TRIALS_FILE = 'search.jsonl';
export const TRIALS_DIR = 'trials';
export const BEST_SPEC = 'best.yaml';

/** A trial's files are named by its number: trials/007.yaml, trials/007/. */
export const trialName = (trial: number) => String(trial).padStart(3, '0');

/** Trial `trial`'s spec in search directory `dir`. */
export const trialSpecFile = (dir: string, trial: number) => join(dir, TRIALS_DIR, `${trialName(trial)}.yaml`);

/** Whether `dir` is a search directory: it has the searched spec and its options (a search whose first trial is still running has no search.jsonl yet). */
export function isSearchDir(dir: string): boolean {
  return existsSync(join(dir, TRIALS_FILE)) || (existsSync(join(dir, SEARCH_SPEC)) && existsSync(join(dir, SEARCH_OPTIONS)));
}
