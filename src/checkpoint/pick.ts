/**
 * Which checkpoint a command reads: given a run, its best (`prefer: 'best'`) or
 * its latest, else the newest good one; given a checkpoint directory, that one.
 * Every damaged checkpoint passed over is reported once, through `warn`.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { DamagedCheckpoint, readCheckpointDir, resolveCheckpoint } from './load.js';
import type { LoadedCheckpoint, ResolveResult } from './load.js';
import { BEST, LATEST, listCheckpoints, readPointer } from './store.js';

/** Where warnings go: one line each, without a newline (the CLI writes them to stderr), with the damaged checkpoint it is about. */
export type Warn = (line: string, damaged: DamagedCheckpoint) => void;

const rel = (p: string) => relative(process.cwd(), p) || '.';

/**
 * The checkpoint `target` names, and the damaged ones passed over on the way
 * (each once: a damaged best checkpoint that is also the latest is not listed twice).
 * `command` names the argument in errors (`evaluate`, `--resume`).
 */
function loadRunCheckpoint(target: string, command: string, prefer: 'best' | 'latest'): ResolveResult {
  const dir = join(target, 'checkpoints');
  const best = prefer === 'best' && existsSync(dir) ? readPointer(dir, BEST)?.checkpoint : undefined;
  const skipped: DamagedCheckpoint[] = [];
  if (best && existsSync(join(dir, best))) {
    try {
      return { checkpoint: readCheckpointDir(join(dir, best)), skipped };
    } catch (e) {
      if (!(e instanceof DamagedCheckpoint)) throw e;
      skipped.push(e);
    }
  }
  const r = resolveCheckpoint(target, command);
  const seen = new Set(skipped.map((s) => s.dir));
  return { checkpoint: r.checkpoint, skipped: [...skipped, ...r.skipped.filter((s) => !seen.has(s.dir))] };
}

/** The warning line for a damaged checkpoint, and what was done instead. */
export function damagedWarning(d: DamagedCheckpoint, instead: string): string {
  return `strata: warning: ${rel(join(d.dir, d.file))} ${d.why}; ${instead}`;
}

/**
 * What was used in place of the damaged checkpoint `d`, worded from how the two
 * stand: usually an older one ("the previous checkpoint"), but a damaged best
 * checkpoint can give way to a newer one, the latest or one before it.
 */
function usedInstead(d: DamagedCheckpoint, used: string): string {
  const dir = dirname(used);
  if (dirname(d.dir) === dir) {
    const names = listCheckpoints(dir);
    const at = names.indexOf(basename(used));
    if (at >= 0 && at > names.indexOf(basename(d.dir))) {
      const pointer = readPointer(dir, LATEST)?.checkpoint;
      const latest = pointer && names.includes(pointer) ? pointer : names[names.length - 1];
      return `using ${basename(used) === latest ? 'the latest' : 'a newer'} checkpoint, ${rel(used)}, instead`;
    }
  }
  return `using the previous checkpoint, ${rel(used)}`;
}

/** One warning line per damaged checkpoint that was skipped in favour of `used`. */
function skippedWarnings(skipped: readonly DamagedCheckpoint[], used: string): string[] {
  return skipped.map((s) => damagedWarning(s, usedInstead(s, used)));
}

/**
 * Open the checkpoint a command works on (see `loadRunCheckpoint`) and warn,
 * once each, about the damaged checkpoints passed over. Throws a UsageError
 * when there is none to use.
 */
export function openCheckpoint(target: string, command: string, prefer: 'best' | 'latest', warn: Warn): LoadedCheckpoint {
  const { checkpoint, skipped } = loadRunCheckpoint(target, command, prefer);
  const lines = skippedWarnings(skipped, checkpoint.dir);
  skipped.forEach((d, i) => warn(lines[i]!, d));
  return checkpoint;
}
