/**
 * Bad data files through the real command line: each is refused before
 * training with exit 2, no stack trace, and a message that names the file and
 * the place in it.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { hasStackTrace, strata } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

function idx(dims: number[], values: number[], magic = [0, 0, 0x08, dims.length]): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.set(magic, 0);
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(values)]);
}

const MLP = (shape: string, out: number, loss = 'categorical_crossentropy') => `model:
  layers:
    - {type: input, shape: ${shape}}
    - {type: flatten}
    - {type: dense, units: ${out}, activation: softmax}
train: {epochs: 1, loss: ${loss}}
`;

interface Case {
  name: string;
  files: Record<string, string | Buffer>;
  descriptor: string;
  model: string;
  /** What the first error line must hold. */
  expect: RegExp;
}

const images = idx([4, 2, 2], Array.from({ length: 16 }, (_, i) => i * 10));
const labels = idx([4], [0, 1, 0, 1]);
const cases: Case[] = [
  {
    name: 'a truncated IDX file',
    files: { 'img.idx': images.subarray(0, images.length - 3), 'lab.idx': labels },
    descriptor: 'task: classification\nformat: idx\ntrain: {images: img.idx, labels: lab.idx}\n',
    model: MLP('[2, 2, 1]', 2),
    expect: /img\.idx: error: at byte 29: is truncated: its header announces \[4, 2, 2\] uint8 values \(32 bytes\) but the file has 29/,
  },
  {
    name: 'an IDX file with a wrong magic number',
    files: { 'img.idx': idx([4, 2, 2], Array.from({ length: 16 }, () => 0), [0x50, 0x4b, 0x03, 0x04]), 'lab.idx': labels },
    descriptor: 'task: classification\nformat: idx\ntrain: {images: img.idx, labels: lab.idx}\n',
    model: MLP('[2, 2, 1]', 2),
    expect: /img\.idx: error: at byte 0: wrong magic number 0x504b0304/,
  },
  {
    name: 'a ragged CSV',
    files: { 'd.csv': 'a,b,label\n1,2,x\n3,4\n5,6,y\n' },
    descriptor: 'task: classification\nformat: csv\ntrain: d.csv\nlabel: label\n',
    model: MLP('[2]', 2),
    expect: /d\.csv:3:1: error: row has 2 fields but the header has 3 \(a, b, label\)/,
  },
  {
    name: 'a non-numeric CSV field',
    files: { 'd.csv': 'a,b,label\n1,2,x\n3,four,y\n' },
    descriptor: 'task: classification\nformat: csv\ntrain: d.csv\nlabel: label\n',
    model: MLP('[2]', 2),
    expect: /d\.csv:3:1: error: column 'b' holds 'four', which is not a number/,
  },
  {
    name: 'a CSV field with text after its closing quote',
    files: { 'd.csv': 'a,b,label\n1,2,x\n"3"4,5,y\n' },
    descriptor: 'task: classification\nformat: csv\ntrain: d.csv\nlabel: label\n',
    model: MLP('[2]', 2),
    expect: /d\.csv:3:4: error: the quoted field "3"4 goes on after its closing quote; quote the whole field and write each " inside it as "" \(here: "3""4"\)$/,
  },
  {
    name: 'a quote inside an unquoted CSV field',
    files: { 'd.csv': 'a,b,label\n1,2,x\n3,4,big"y\n' },
    descriptor: 'task: classification\nformat: csv\ntrain: d.csv\nlabel: label\n',
    model: MLP('[2]', 2),
    expect: /d\.csv:3:8: error: the unquoted field big"y holds a "; quote the whole field and write each " inside it as "" \(here: "big""y"\)$/,
  },
  {
    name: 'a ragged CSV row after a quoted field over two CRLF lines',
    files: { 'd.csv': 'a,b,label\r\n1,2,"x\r\ny"\r\n3,4\r\n' },
    descriptor: 'task: classification\nformat: csv\ntrain: d.csv\nlabel: label\n',
    model: MLP('[2]', 2),
    expect: /d\.csv:4:1: error: row has 2 fields but the header has 3/,
  },
  {
    name: 'a CSV header with two columns of one name',
    files: { 'd.csv': 'a,b,a,label\n1,2,3,x\n' },
    descriptor: 'task: classification\nformat: csv\ntrain: d.csv\nlabel: label\n',
    model: MLP('[2]', 2),
    expect: /d\.csv:1:1: error: columns 1 and 3 are both named 'a'; rename one$/,
  },
  {
    name: 'a label column that does not exist',
    files: { 'd.csv': 'a,b,class\n1,2,x\n3,4,y\n' },
    descriptor: 'task: classification\nformat: csv\ntrain: d.csv\nlabel: label\n',
    model: MLP('[2]', 2),
    expect: /d\.csv:1:1: error: has no column 'label' \(the label\); its columns are: a, b, class/,
  },
  {
    name: 'an empty CSV file',
    files: { 'd.csv': '' },
    descriptor: 'task: classification\nformat: csv\ntrain: d.csv\nlabel: label\n',
    model: MLP('[2]', 2),
    expect: /d\.csv:1:1: error: is empty; it should hold CSV/,
  },
  {
    name: 'text that is not UTF-8',
    files: { 'book.txt': Buffer.concat([Buffer.from('hello world\nline two caf'), Buffer.from([0xe9]), Buffer.from(' au lait\n')]) },
    descriptor: 'task: language_model\nformat: text\ntrain: book.txt\nsequence_length: 4\n',
    model: 'model:\n  layers:\n    - {type: input, shape: [4], dtype: int32}\n    - {type: embedding, input_dim: 30, output_dim: 4}\n    - {type: flatten}\n    - {type: dense, units: 20, activation: softmax}\ntrain: {epochs: 1, loss: sparse_categorical_crossentropy}\n',
    expect: /book\.txt:2:13: error: byte 0xe9 is not valid UTF-8; save the text as UTF-8/,
  },
  {
    name: 'a JSON-lines file with a broken line',
    files: { 'd.jsonl': '{"text": "good", "label": "a"}\n{"text": "bad", "label": \n' },
    descriptor: 'task: classification\nformat: jsonl\ntrain: d.jsonl\n',
    model: MLP('[3]', 1),
    expect: /d\.jsonl:2:1: error: this line is not valid JSON/,
  },
  {
    name: 'a descriptor with an unknown key',
    files: {},
    descriptor: 'task: classification\nformat: csv\ntrain: d.csv\nlabels: label\n',
    model: MLP('[2]', 2),
    expect: /data\.yaml:5:1: error: unknown key 'labels' in the dataset descriptor \(did you mean 'label'\?\)/,
  },
];

for (const c of cases) {
  test(`${c.name} is refused with exit 2 and its place`, async () => {
    const dir = tempDir('strata-data-');
    for (const [name, content] of Object.entries(c.files)) writeFileSync(join(dir, name), content);
    writeFileSync(join(dir, 'data.yaml'), `name: mine\n${c.descriptor}`);
    writeFileSync(join(dir, 'spec.yaml'), `version: 1\nseed: 1\ndata: {dataset: data.yaml}\n${c.model}`);
    const r = await strata(['train', 'spec.yaml', '--out', join(dir, 'run')], { cwd: dir });
    assert.equal(r.code, 2, r.stderr);
    assert.ok(!hasStackTrace(r.stderr), r.stderr);
    assert.match(r.stderr.split('\n')[0]!, c.expect);
    assert.ok(!existsSync(join(dir, 'run')), 'a run that never started leaves no directory behind');
    // validate reads the data as it checks it (an IDX file by its header): the same refusal.
    const v = await strata(['validate', 'spec.yaml'], { cwd: dir });
    assert.equal(v.code, 2, v.stderr);
    assert.match(v.stderr.split('\n')[0]!, c.expect);
  });
}
