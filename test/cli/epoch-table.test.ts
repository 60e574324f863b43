/** The end-of-training table and sparkline, and the epoch lines printed while training: bounded whatever the epoch count. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { epochSummary, resample, shownRows, SPARK_WIDTH, sparkline, TABLE_ROWS } from '../../src/cli/epoch-table.js';
import { EpochLines, lineEvery, Progress } from '../../src/cli/progress.js';
import type { EpochLog } from '../../src/train/loop.js';

test('sparkline scales values between their min and max, leaving non-finite values blank', () => {
  assert.equal(sparkline([3, 2, 1]), '█▅▁');
  assert.equal(sparkline([1, Number.NaN, 1]), '▄ ▄');
  assert.equal(sparkline([]), '');
});

test('epochSummary has one row per epoch and a sparkline of the validation loss', () => {
  const epochs = [1, 2, 3].map((epoch) => ({ epoch, loss: 1 / epoch, accuracy: 0.5, val_loss: 2 / epoch, val_accuracy: 0.4, lr: 0.01, seconds: 1, samples_per_second: 100 }));
  const out = epochSummary(epochs);
  const lines = out.trim().split('\n');
  assert.match(lines[0]!, /Epoch.*loss.*accuracy.*val_loss.*val_accuracy.*lr/);
  assert.doesNotMatch(out, /samples_per_second/);
  assert.match(out, /val_loss █▃▁  2\.0000 → 0\.6667$/m);
});

/** `n` epochs whose val_loss falls to its lowest at `bestAt`, then rises. */
function run(n: number, bestAt: number): EpochLog[] {
  return Array.from({ length: n }, (_, i) => ({ epoch: i + 1, loss: 1 / (i + 1), val_loss: 1 + Math.abs(i + 1 - bestAt) / n, lr: 0.01, seconds: 1, samples_per_second: 100 }));
}

/** The epoch numbers of a table's rows and its gap rows' counts. */
function tableRows(out: string): { epochs: string[]; gaps: number[]; best: string[] } {
  const lines = out.split('\n');
  const rule = lines.findIndex((l) => l.startsWith('─'));
  const end = lines.findIndex((l, i) => i > rule && l.startsWith('─'));
  const body = lines.slice(rule + 1, end);
  const gaps = body.filter((l) => l.includes('…')).map((l) => Number(/… (\d+) epochs? …/.exec(l)![1]));
  const rows = body.filter((l) => !l.includes('…'));
  return { epochs: rows.map((l) => l.trim().split(/\s+/).filter((c) => c !== '*')[0]!), gaps, best: rows.filter((l) => l.trim().startsWith('*')).map((l) => l.trim().split(/\s+/)[1]!) };
}

for (const [n, bestAt] of [
  [1, 1],
  [5, 3],
  [200, 137],
  [1000, 1000],
] as const) {
  test(`epochSummary of ${n} epochs: at most ${TABLE_ROWS} rows with the first, the best (marked) and the last, and a sparkline of at most ${SPARK_WIDTH} characters`, () => {
    const out = epochSummary(run(n, bestAt), { best: { epoch: bestAt, monitor: 'val_loss' } });
    const { epochs, gaps, best } = tableRows(out);
    assert.ok(epochs.length + gaps.length <= TABLE_ROWS, out);
    assert.equal(epochs.length + gaps.reduce((a, b) => a + b, 0), n, 'every epoch is a row or counted in a gap');
    assert.equal(epochs[0], '1');
    assert.equal(epochs.at(-1), String(n));
    assert.deepEqual(best, [String(bestAt)]);
    assert.match(out, /^\* best val_loss$/m);
    if (n <= TABLE_ROWS) assert.deepEqual(gaps, []);
    const spark = /^val_loss (\S*)  /m.exec(out)![1]!;
    assert.equal(spark.length, Math.min(n, SPARK_WIDTH));
    if (n > SPARK_WIDTH) assert.match(out, new RegExp(`\\(${n} epochs, about ${n / SPARK_WIDTH} per character\\)`));
  });
}

test('the table of 200 epochs: the first two, the best with its neighbours, the last five, a gap row between', () => {
  assert.deepEqual(shownRows(200, 136), [0, 1, 135, 136, 137, 195, 196, 197, 198, 199]);
  const { gaps } = tableRows(epochSummary(run(200, 137), { best: { epoch: 137 } }));
  assert.deepEqual(gaps, [133, 57]);
  // A best among the first or last rows adds no rows.
  assert.deepEqual(shownRows(200, 0), [0, 1, 195, 196, 197, 198, 199]);
});

test('a resampled sparkline keeps the shape of the curve', () => {
  const down = Array.from({ length: 1000 }, (_, i) => 1000 - i);
  const r = resample(down);
  assert.equal(r.length, SPARK_WIDTH);
  assert.ok(r.every((v, i) => i === 0 || v < r[i - 1]!), 'still falling');
  assert.equal(sparkline(r)[0], '█');
  assert.equal(sparkline(r).at(-1), '▁');
  const valley = resample(Array.from({ length: 200 }, (_, i) => Math.abs(i - 100)));
  assert.equal(valley.indexOf(Math.min(...valley)), SPARK_WIDTH / 2, 'the lowest bucket is where the lowest epochs are');
  assert.equal(sparkline(valley)[0], '█');
  assert.equal(sparkline(valley)[SPARK_WIDTH / 2], '▁');
  assert.deepEqual(resample([1, Number.NaN, 3], 40), [1, Number.NaN, 3]);
  assert.ok(Number.isNaN(resample([...Array(80).fill(Number.NaN)], 40)[0]!), 'a bucket of non-finite values is blank');
});

/** The lines Progress prints in 'lines' mode (no terminal) for a run, each epoch a new best while `improving(epoch)`. */
async function linesOf(n: number, improving: (epoch: number) => boolean, mode: 'lines' | 'json' = 'lines'): Promise<string[]> {
  let text = '';
  const p = await Progress.create(mode, n, { write: (s: string) => ((text += s), true) } as Pick<NodeJS.WriteStream, 'write'>);
  for (const log of run(n, n)) p.epoch(log, improving(log.epoch) ? '(best)' : '', improving(log.epoch));
  return text.trim().split('\n');
}

for (const n of [1, 5, 50]) {
  test(`without a terminal, ${n} epochs print one line each`, async () => {
    const lines = await linesOf(n, () => true);
    assert.equal(lines.length, n);
    assert.match(lines[0]!, new RegExp(`^epoch 1/${n} `));
  });
}

test('without a terminal, 200 epochs print the first, every 5th, new bests at most one per 5 epochs and the last, said once', async () => {
  assert.equal(lineEvery(200), 5);
  // val_loss improves for 37 epochs, then only at epoch 123.
  const lines = await linesOf(200, (e) => e <= 37 || e === 123);
  assert.match(lines[0]!, /^\(200 epochs: printing the first, every 5th, new bests \(at most one per 5 epochs\) and the last; metrics\.jsonl has every epoch\)$/);
  assert.equal(lines.filter((l) => l.startsWith('(')).length, 1);
  const shown = lines.slice(1).map((l) => Number(/^epoch (\d+)\/200/.exec(l)![1]));
  assert.ok(shown.includes(1) && shown.includes(123) && shown.at(-1) === 200);
  assert.ok(shown.filter((e) => e % 5 !== 0).every((e) => e === 1 || e === 123), `only the first and a late best are off the 5s: ${shown}`);
  assert.ok(shown.length <= 45, `${shown.length} lines`);
});

test('without a terminal, 1000 epochs that improve every epoch print at most about 100 lines', async () => {
  assert.equal(lineEvery(1000), 20);
  const lines = await linesOf(1000, () => true);
  assert.ok(lines.length <= 2 * 50 + 2, `${lines.length} lines`);
  assert.match(lines.at(-1)!, /^epoch 1000\/1000 /);
  // The picking alone: a best is never more than 20 epochs from the previous line shown.
  const pick = new EpochLines(1000);
  let last = 0;
  for (let e = 1; e <= 1000; e++) {
    if (pick.shown(e, true)) {
      assert.ok(e - last <= 20);
      last = e;
    }
  }
});

test('--json prints every epoch, whatever the count', async () => {
  const lines = await linesOf(1000, () => false, 'json');
  assert.equal(lines.length, 1000);
  assert.equal(JSON.parse(lines[999]!).epoch, 1000);
});
