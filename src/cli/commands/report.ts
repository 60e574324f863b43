/**
 * `strata report <run>`: one self-contained HTML file (static SVG charts drawn
 * by Vega when the file is written, no scripts, no network) with the run's
 * learning curves, its model, results on the test split and statistics from
 * inside the layers.
 */
import { join, relative } from 'node:path';
import type { Command } from 'commander';
import { describeCheckpoint } from '../../checkpoint/store.js';
import { printJson, warnOnStderr, withBackend, withJson } from '../options.js';
import type { CommonOptions } from '../options.js';

export interface ReportOptions extends Omit<CommonOptions, 'set'> {
  out?: string;
}

const rel = (p: string) => relative(process.cwd(), p) || '.';

export function reportCommand(program: Command): void {
  const cmd = program
    .command('report')
    .description('write an HTML report of a run: learning curves, the model, test results and statistics from inside the layers')
    .argument('<run>', 'a run directory')
    .option('-o, --out <file>', 'the HTML file to write (default: RUN/report.html)');
  withBackend(withJson(cmd)).action(async (run: string, opts: ReportOptions) => {
    const { loadEngine } = await import('../../backend/select.js');
    const engine = await loadEngine(opts.backend);
    const { writeReport } = await import('../../report/index.js');
    const file = opts.out ?? join(run, 'report.html');
    const { data, bytes } = await writeReport(engine, run, file, { warn: warnOnStderr });
    if (opts.json) printJson({ report: file, bytes, checkpoint: data.checkpoint, epochs: data.epochs.length });
    else process.stdout.write(`Wrote ${rel(file)} (${(bytes / 1024).toFixed(0)} KB) from ${describeCheckpoint(rel(data.checkpoint))}\n`);
  });
}
