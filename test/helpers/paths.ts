/** Paths of the repository's own files, for tests. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './cli.js';

export const CONFIGS = join(ROOT, 'configs');
export const FIXTURES = join(ROOT, 'test', 'fixtures');

export function configFiles(): string[] {
  return readdirSync(CONFIGS)
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .map((f) => join(CONFIGS, f));
}
