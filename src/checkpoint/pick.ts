/** Which checkpoint a command that uses a trained model reads: the run's best, else its newest good one. */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DamagedCheckpoint, readCheckpointDir, resolveCheckpoint } from './load.js';
import type { ResolveResult } from './load.js';
import { BEST, readPointer } from './store.js';

export function loadRunCheckpoint(target: string, command: string, prefer: 'best' | 'latest'): ResolveResult {
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
  return { checkpoint: r.checkpoint, skipped: [...skipped, ...r.skipped] };
}

/** One warning line per damaged checkpoint that was skipped in favour of `used`. */
export function skippedWarnings(skipped: readonly DamagedCheckpoint[], used: string): string[] {
  const rel = (p: string) => relative(process.cwd(), p) || '.';
  return skipped.map((s) => `strata: warning: ${rel(join(s.dir, s.file))} ${s.why}; using the previous checkpoint, ${rel(used)}`);
}
