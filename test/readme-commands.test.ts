/**
 * The README's command-line examples, run as they stand there: the convert
 * round trip, and the two `strata validate bad.yaml` transcripts, whose spec
 * the README describes in words (`type: conv2` at line 7, `filters: -3` at
 * line 11, `activaton: relu` at line 13; then, those fixed, a dense layer
 * after a convolution). (The install-and-train and test commands at the top are
 * what CI itself runs.)
 */
import assert from 'node:assert/strict';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, strata } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
/** The README's fenced blocks of a language ('' for plain ones). */
const blocks = (lang: string) => [...README.matchAll(new RegExp(`^\`\`\`${lang}\\n([\\s\\S]*?)^\`\`\`$`, 'gm'))].map((m) => m[1]!);

/** `npx strata a b && npx strata c` → [[a, b], [c]]. */
const commands = (line: string) => line.trim().split(/\s*&&\s*/).map((c) => {
  const words = c.split(/\s+/);
  assert.deepEqual(words.slice(0, 2), ['npx', 'strata'], c);
  return words.slice(2);
});

test("the README's convert example runs as written", async () => {
  const block = blocks('sh').find((b) => b.includes('strata convert'));
  assert.ok(block, 'README.md shows a strata convert command');
  const dir = tempDir('strata-readme-');
  symlinkSync(join(ROOT, 'configs'), join(dir, 'configs'));
  for (const argv of commands(block)) {
    const r = await strata(argv, { cwd: dir });
    assert.equal(r.code, 0, `${argv.join(' ')}: ${r.stderr}`);
  }
});

const BAD = `version: 1
data: {dataset: mnist}
model:
  layers:
    - type: input
      shape: [28, 28, 1]
    - type: conv2
      filters: 8
      kernel_size: 3
    - type: conv2d
      filters: -3
      kernel_size: 3
      activaton: relu
    - type: dense
      units: 10
      activation: softmax
`;

test("the README's validate transcripts are what strata prints for the spec it describes", async () => {
  const transcripts = blocks('').filter((b) => b.startsWith('$ npx strata validate bad.yaml\n'));
  assert.equal(transcripts.length, 2, 'two transcripts: the schema errors, then the shape error');
  const fixed = BAD.replace('type: conv2\n', 'type: conv2d\n').replace('filters: -3', 'filters: 32').replace('activaton', 'activation');
  for (const [spec, transcript] of [[BAD, transcripts[0]!], [fixed, transcripts[1]!]] as const) {
    const dir = tempDir('strata-readme-');
    writeFileSync(join(dir, 'bad.yaml'), spec);
    const [command, ...expected] = transcript.trimEnd().split('\n');
    const r = await strata(commands(command!.slice(2))[0]!, { cwd: dir });
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr.trimEnd(), expected.join('\n'));
  }
});
