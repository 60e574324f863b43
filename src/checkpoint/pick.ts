/** Which checkpoint a command that uses a trained model reads: the run's best, else its newest good one. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
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
