/** Image classification from IDX files (MNIST and the like). */
import { readIdxFile, readIdxShape } from '../idx.js';
import type { IdxArray } from '../idx.js';
import { dataError } from '../problem.js';
import { holdOut } from '../shuffle.js';
import { labelledRows, labelTarget, range } from '../splits.js';
import type { FormatContext, Loaded } from './context.js';
import { arrangeSplits, probedSplit } from './validation.js';

interface RawPair {
  images: IdxArray;
  labels: IdxArray;
  imagesFile: string;
}

function readPair(ctx: FormatContext, files: unknown, which: string): RawPair {
  if (!files || typeof files !== 'object' || !('images' in files)) throw dataError(ctx.descriptorFile, `${which}: the idx format needs {images: FILE, labels: FILE}`);
  const f = files as { images: string; labels: string };
  const imagesFile = ctx.path(f.images);
  const labelsFile = ctx.path(f.labels);
  // A probe reads the images' header only; the labels (small) are read whole, for the classes.
  const images: IdxArray = ctx.probe ? { shape: readIdxShape(imagesFile), data: new Uint8Array(0) } : readIdxFile(imagesFile);
  const labels = readIdxFile(labelsFile);
  const n = images.shape[0]!;
  if (labels.shape.length !== 1) throw dataError(labelsFile, `holds an array of shape [${labels.shape.join(', ')}]; labels must be one number per example`);
  if (labels.shape[0] !== n) throw dataError(labelsFile, `holds ${labels.shape[0]} labels but ${imagesFile} holds ${n} images; they must match`);
  return { images, labels, imagesFile };
}

export function loadIdx(ctx: FormatContext): Loaded {
  const parts = [readPair(ctx, ctx.d.train, 'train'), ...(ctx.d.test ? [readPair(ctx, ctx.d.test, 'test')] : [])];
  const first = parts[0]!;
  const size = first.images.shape.slice(1).reduce((a, b) => a * b, 1);
  for (const p of parts) {
    const s = p.images.shape.slice(1).reduce((a, b) => a * b, 1);
    if (s !== size) throw dataError(p.imagesFile, `holds examples of shape [${p.images.shape.slice(1).join(', ')}], unlike [${first.images.shape.slice(1).join(', ')}] in ${first.imagesFile}`);
  }
  const shape = ctx.d.image_shape ?? (first.images.shape.length === 3 ? [...first.images.shape.slice(1), 1] : first.images.shape.slice(1));
  if (shape.reduce((a, b) => a * b, 1) !== size) throw dataError(ctx.descriptorFile, `image_shape [${shape.join(', ')}] does not hold the ${size} values of each example in ${first.imagesFile}`);
  // One Float32Array for all examples (test after train), filled straight from the files' bytes.
  const counts = parts.map((p) => p.images.shape[0]!);
  const total = counts.reduce((a, b) => a + b, 0);
  const x = new Float32Array(ctx.probe ? 0 : total * size);
  const labels = new Int32Array(total);
  const scale = 1 / (ctx.d.scale ?? 1);
  let at = 0;
  for (const p of parts) {
    const src = p.images.data;
    for (let i = 0; i < src.length; i++) x[at * size + i] = src[i]! * scale;
    labels.set(p.labels.data, at);
    at += p.images.shape[0]!;
  }
  const nTrain = counts[0]!;
  const train = { shape };
  const test = parts.length > 1;
  const maxLabel = labels.reduce((a, b) => Math.max(a, b), 0);
  const classes = ctx.d.classes ?? Array.from({ length: maxLabel + 1 }, (_, i) => String(i));
  const bad = labels.findIndex((l) => l < 0 || l >= classes.length);
  if (bad >= 0) throw dataError(ctx.descriptorFile, `label ${labels[bad]} of example ${bad} is outside the ${classes.length} classes`);
  let trainIdx = range(nTrain);
  let testIdx = test ? range(total - nTrain, nTrain) : undefined;
  if (!test && ctx.d.test_fraction) {
    const { keep, held } = holdOut(nTrain, ctx.d.test_fraction, ctx.d.split_seed ?? 0);
    trainIdx = keep;
    testIdx = held;
  }
  const splits = arrangeSplits(ctx, trainIdx, testIdx, (idx) => (ctx.probe ? probedSplit(idx) : labelledRows(x, size, labels, classes.length, ctx.labels, idx)), false);
  return {
    task: 'classification',
    inputShape: train.shape,
    inputDtype: 'float32',
    ...labelTarget(ctx.labels, classes.length),
    classes,
    inputScaling: { offset: [0], scale: [ctx.d.scale ?? 1] },
    ...splits,
  };
}
