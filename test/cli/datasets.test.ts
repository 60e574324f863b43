/** `strata datasets FILE`: one dataset of the user's own described through the real binary, and data.label / --label choosing the label column. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { strata } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('strata-datasets-');
// 30 flowers, 10 of each species; the label column is not called `label`, and `id` is not a feature in the descriptor.
const species = ['setosa', 'versicolor', 'virginica'];
writeFileSync(join(dir, 'iris.csv'), `petal_length,petal_width,species,id\n${Array.from({ length: 30 }, (_, i) => `${(i % 7) + 1}.5,${(i % 5) / 2},${species[i % 3]},${i}`).join('\n')}\n`);
// A target in the thousands: normalize scales the features, never the label.
writeFileSync(join(dir, 'houses.csv'), `rooms,age,price\n${Array.from({ length: 40 }, (_, i) => `${(i % 6) + 1},${i},${100000 + 1000 * i}`).join('\n')}\n`);
writeFileSync(join(dir, 'houses.yaml'), 'name: houses\ntask: regression\nformat: csv\ntrain: houses.csv\nlabel: price\ntest_fraction: 0.25\n');
writeFileSync(join(dir, 'iris.yaml'), 'name: iris\ntask: classification\nformat: csv\ntrain: iris.csv\nlabel: species\ncolumns: [petal_length, petal_width]\ntest_fraction: 0.2\n');
writeFileSync(join(dir, 'bad.yaml'), 'name: bad\ntask: classification\nformat: csv\ntrain: iris.csv\nlable: species\n');

const json = async (args: string[]) => {
  const r = await strata(['datasets', ...args, '--json'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout).dataset;
};

test('a bare CSV with --label: task, shapes, columns, classes with their counts per split, splits and the baseline', async () => {
  const r = await strata(['datasets', 'iris.csv', '--label', 'species', '--baselines'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^task +classification$/m);
  assert.match(r.stdout, /^input +\[3\] float32$/m);
  assert.match(r.stdout, /^label +\[\] \(class ids; one-hot labels: \[3\]\)$/m);
  assert.match(r.stdout, /^label column +species$/m);
  assert.match(r.stdout, /^features +petal_length, petal_width, id \(3\)$/m);
  assert.match(r.stdout, /^splits +train 24, test 6$/m);
  assert.match(r.stdout, /^baseline +majority class: accuracy \d\.\d{4} \(always '\w+', on the test split\)$/m);
  assert.match(r.stdout, /^Class +Train +Test$/m);
  const d = await json(['iris.csv', '--label', 'species', '--validation', '0.25']);
  assert.equal(d.task, 'classification');
  assert.deepEqual(d.columns, { names: ['petal_length', 'petal_width', 'species', 'id'], label: 'species', features: ['petal_length', 'petal_width', 'id'] });
  assert.equal(d.classes, 3);
  assert.deepEqual(d.class_counts.map((c: { name: string }) => c.name), species);
  for (const c of d.class_counts) assert.equal(c.train + c.validation + c.test, 10);
  assert.deepEqual(d.splits, { train: 18, validation: 6, test: 6 });
});

test('a descriptor: only its feature columns are read, and the others are said to be unread', async () => {
  const r = await strata(['datasets', 'iris.yaml'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^features +petal_length, petal_width \(2\)$/m);
  assert.match(r.stdout, /^not read +id$/m);
  const d = await json(['iris.yaml']);
  assert.deepEqual(d.input_shape, [2]);
  assert.deepEqual(d.splits, { train: 24, test: 6 });
});

test('a regression CSV: no classes, and the label is not scaled', async () => {
  const r = await strata(['datasets', 'houses.yaml', '--baselines'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^task +regression$/m);
  assert.match(r.stdout, /^scaling +features standard \(fitted on the training rows\); the label is not scaled$/m);
  assert.doesNotMatch(r.stdout, /^classes/m);
  const d = await json(['houses.yaml']);
  assert.equal(d.task, 'regression');
  assert.deepEqual(d.label_shape, [1]);
  assert.equal(d.classes, undefined);
  assert.deepEqual(d.scaling, { features: 'standard', label: 'none' });
  assert.deepEqual(d.splits, { train: 30, test: 10 });
});

test('a bare CSV with a numeric label is classification, and the description says how to make it regression', async () => {
  const r = await strata(['datasets', 'houses.csv', '--label', 'price'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^task +classification$/m);
  assert.match(r.stdout, /^note +every label is a number and there are 40 classes; if 'price' is a quantity to predict, write a dataset descriptor with task: regression/m);
  assert.equal((await json(['iris.csv', '--label', 'species'])).note, undefined);
});

test('a missing label column: exit 2 at the file, naming the columns there are with a suggestion', async () => {
  const bare = await strata(['datasets', 'iris.csv'], { cwd: dir });
  assert.equal(bare.code, 2);
  assert.match(bare.stderr, /iris\.csv:1:1: error: has no column 'label' \(the label\); its columns are: petal_length, petal_width, species, id; name the label column with data\.label/);
  const typo = await strata(['datasets', 'iris.csv', '--label', 'specis'], { cwd: dir });
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /iris\.csv:1:1: error: has no column 'specis' \(the label\) \(did you mean 'species'\?\); its columns are: petal_length, petal_width, species, id/);
  assert.equal(typo.stdout, '');
});

test('an error in a descriptor: exit 2 at its line', async () => {
  const r = await strata(['datasets', 'bad.yaml'], { cwd: dir });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /bad\.yaml:5:1: error: unknown key 'lable' in the dataset descriptor \(did you mean 'label'\?\)/);
});

test("a spec's data.label chooses the label column of a bare CSV; a wrong one is refused with a suggestion", async () => {
  const spec = (label: string) =>
    `version: 1\ndata: {dataset: iris.csv, label: ${label}}\nmodel:\n  layers:\n    - {type: input, shape: [3]}\n    - {type: dense, units: 3, activation: softmax}\ntrain: {loss: sparse_categorical_crossentropy, epochs: 1}\n`;
  writeFileSync(join(dir, 'good.spec.yaml'), spec('species'));
  writeFileSync(join(dir, 'typo.spec.yaml'), spec('Species_'));
  const good = await strata(['validate', 'good.spec.yaml'], { cwd: dir });
  assert.equal(good.code, 0, good.stderr);
  const typo = await strata(['validate', 'typo.spec.yaml'], { cwd: dir });
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /iris\.csv:1:1: error: has no column 'Species_' \(the label\) \(did you mean 'species'\?\)/);
});

/** The data rows of an exported split (its header first). */
const exportedRows = (file: string) => {
  const [header, ...rows] = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
  return { header, rows };
};

test('--export writes each split as the rows of the file, with the header: together they are the file, none twice', async () => {
  const fileRows = readFileSync(join(dir, 'iris.csv'), 'utf8').split('\n').slice(1).filter((l) => l !== '');
  for (const [args, splits] of [
    [['iris.yaml'], ['train', 'test']],
    [['iris.csv', '--label', 'species', '--validation', '0.25', '--seed', '7'], ['train', 'validation', 'test']],
  ] as const) {
    const out = join(dir, `export-${splits.length}`);
    const r = await strata(['datasets', ...args, '--export', out, '--json'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(j.exported.map((e: { split: string }) => e.split), splits);
    assert.deepEqual(readdirSync(out).sort(), splits.map((s) => `${s}.csv`).sort());
    const all: string[] = [];
    for (const s of splits) {
      const { header, rows } = exportedRows(join(out, `${s}.csv`));
      assert.equal(header, 'petal_length,petal_width,species,id');
      assert.equal(rows.length, j.dataset.splits[s]);
      // In split order, which is the file's order for rows held out at random.
      assert.deepEqual(rows, fileRows.filter((row) => rows.includes(row)));
      all.push(...rows);
    }
    assert.equal(new Set(all).size, all.length);
    assert.deepEqual([...all].sort(), [...fileRows].sort());
  }
  const again = await strata(['datasets', 'iris.yaml', '--export', 'export-2'], { cwd: dir });
  assert.equal(again.code, 2);
  assert.match(again.stderr, /^--export export-2: error: is a folder that is not empty/);
  const bundled = await strata(['datasets', 'mnist', '--export', 'export-mnist'], { cwd: dir });
  assert.equal(bundled.code, 2);
  assert.match(bundled.stderr, /--export takes CSV and JSON-lines data/);
  const noParent = await strata(['datasets', 'iris.yaml', '--export', 'no/such/dir'], { cwd: dir });
  assert.equal(noParent.code, 1);
  assert.equal(noParent.stderr, '--export no/such/dir: error: cannot create the folder: the folder it goes in does not exist\n');
});
