/**
 * Finding a Python with PyTorch for the torch engine. strata runs its Python
 * runtime (python/strata_torch, shipped in the package) with the first of
 * STRATA_PYTHON, `python3` and `/usr/bin/python3` that imports torch; where none
 * does, the user gets the command that installs it.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.js';

/** The folder that holds the `strata_torch` package (put on PYTHONPATH). */
export const PYTHON_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'python');

export interface TorchPython {
  /** The interpreter's path or command. */
  command: string;
}

let found: TorchPython | undefined | null = null;

/** The interpreters tried, in order. */
export function pythonCandidates(): string[] {
  const env = process.env.STRATA_PYTHON;
  return env ? [env] : ['python3', '/usr/bin/python3'];
}

/** Finds torch without importing it (an import takes a second or more; the engine's process imports it anyway). */
const PROBE = 'import importlib.util, sys; sys.exit(0 if importlib.util.find_spec("torch") else 3)';

/** The first candidate that imports torch, or undefined (cached for the process). */
export function findTorchPython(): TorchPython | undefined {
  if (found !== null) return found;
  found = undefined;
  for (const command of pythonCandidates()) {
    const r = spawnSync(command, ['-c', PROBE], { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) {
      found = { command };
      break;
    }
  }
  return found;
}

/** The Python with torch, or a UsageError (exit 2) with the commands that install it. */
export function requireTorchPython(arg = '--engine torch'): TorchPython {
  const p = findTorchPython();
  if (p) return p;
  const tried = pythonCandidates().join(', ');
  throw new UsageError({
    arg,
    code: 'torch-missing',
    message:
      `the torch engine needs Python 3 with PyTorch, and none of ${tried} imports torch. ` +
      'Install it (Debian/Ubuntu: `sudo apt-get install python3-torch libopenblas0-pthread`; elsewhere: `python3 -m pip install torch`), ' +
      'or set STRATA_PYTHON to a python that has it; or train on the embedded engine (--engine tfjs)',
  });
}
