/**
 * A run's model at a fixed path: `RUN/model/` holds `model.json`, `weights.bin`
 * and `data.json` of the checkpoint `evaluate` uses (the best one, else the
 * latest), so a program or a web page can load a run's model without knowing
 * checkpoint names. Replaced as a whole, like a checkpoint, whenever that
 * checkpoint changes; the files are hard links to the checkpoint's where the
 * file system allows, so they cost no space.
 */
import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { osFailure } from '../errors.js';
import { flushDir } from './durable.js';
import { DATA_JSON } from './meta.js';
import { MODEL_JSON, WEIGHTS_BIN } from './model-files.js';

/** The folder of a run that holds its model. */
export const MODEL_DIR = 'model';

/** The files `RUN/model/` holds, all from one checkpoint. */
export const MODEL_DIR_FILES = [MODEL_JSON, WEIGHTS_BIN, DATA_JSON] as const;

/** Make `runDir/model/` hold the model of `checkpointDir` (atomically: the old folder stays until the new one is complete). */
export function publishModel(runDir: string, checkpointDir: string): string {
  for (const d of readdirSync(runDir)) {
    if (d.startsWith(`.tmp-${MODEL_DIR}-`) || d.startsWith(`.old-${MODEL_DIR}-`)) rmSync(join(runDir, d), { recursive: true, force: true });
  }
  const target = join(runDir, MODEL_DIR);
  const tmp = join(runDir, `.tmp-${MODEL_DIR}-${process.pid}`);
  try {
    mkdirSync(tmp);
    for (const f of MODEL_DIR_FILES) {
      try {
        linkSync(join(checkpointDir, f), join(tmp, f));
      } catch {
        copyFileSync(join(checkpointDir, f), join(tmp, f));
      }
    }
    flushDir(tmp);
    if (existsSync(target)) {
      const old = join(runDir, `.old-${MODEL_DIR}-${process.pid}`);
      renameSync(target, old);
      renameSync(tmp, target);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(tmp, target);
    }
    flushDir(runDir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw osFailure(e, `cannot update ${relative(process.cwd(), target) || '.'}`);
  }
  return target;
}
