/** A child process that trains the blobs model into a run directory (for crash tests). Usage: train-child RUN_DIR EPOCHS */
import { loadEngine } from '../../src/backend/select.js';
import { createRunDir } from '../../src/run/run-dir.js';
import { runSession } from '../../src/run/session.js';
import { parseSpec } from '../../src/spec/read.js';
import { blobs, blobsSpec } from './synthetic.js';

const [runDir, epochs] = process.argv.slice(2);
const engine = await loadEngine('cpu');
const text = blobsSpec();
const spec = parseSpec('blobs.yaml', text, { overrides: [`train.epochs=${epochs}`] });
createRunDir(runDir!, '--out');
const r = await runSession({ engine, spec, specText: text, dataset: blobs(256), runDir: runDir!, seed: 3 });
process.stdout.write(`${r.stopped}\n`);
