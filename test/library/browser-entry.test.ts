/**
 * The browser entry point (src/browser.ts, `strata/browser`) loads in a page
 * without a bundler: every module it reaches imports only relative files, never
 * `node:` modules or packages, and uses no Node globals.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const DIST_SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** The specifiers a compiled module imports (static, re-exports and dynamic). */
function importsOf(code: string): string[] {
  const out: string[] = [];
  for (const m of code.matchAll(/(?:^|[;\s])(?:import|export)\s[^'"]*?\sfrom\s*['"]([^'"]+)['"]|(?:^|[;\s])import\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/gm)) {
    out.push((m[1] ?? m[2] ?? m[3])!);
  }
  return out;
}

/** A module's code without its comments (which may show imports as examples). */
const code = (file: string) => readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|^\s*\/\/.*$/gm, '');

/** Every module reachable from `entry`, with what each imports. */
function graph(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    const specs = importsOf(code(file));
    seen.set(file, specs);
    for (const s of specs) if (s.startsWith('.')) visit(resolve(dirname(file), s));
  };
  visit(entry);
  return seen;
}

test('importsOf finds every kind of import (so the next test can fail)', () => {
  const code = `import { a } from './a.js';\nimport * as fs from 'node:fs';\nexport { b } from "./b.js";\nimport './side.js';\nconst x = await import('@tensorflow/tfjs-core');\nimport type_ from 'yaml';`;
  assert.deepEqual(importsOf(code), ['./a.js', 'node:fs', './b.js', './side.js', '@tensorflow/tfjs-core', 'yaml']);
});

test('src/browser.ts reaches only relative modules, and none uses Node globals', () => {
  const modules = graph(join(DIST_SRC, 'browser.js'));
  assert.ok(modules.size > 10, `${modules.size} modules: the custom layers are reached`);
  for (const [file, specs] of modules) {
    const name = relative(DIST_SRC, file);
    for (const s of specs) assert.ok(s.startsWith('./') || s.startsWith('../'), `${name} imports '${s}': a browser cannot load it without a bundler (src/browser.ts must not reach it)`);
    for (const global of ['Buffer', 'process', 'require', '__dirname']) {
      assert.doesNotMatch(code(file), new RegExp(`\\b${global}\\s*[.(]`), `${name} uses Node's ${global}`);
    }
  }
});
