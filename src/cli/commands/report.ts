/**
 * `strata report <dir>`: one self-contained HTML file (static SVG charts drawn
 * by Vega when the file is written, no scripts, no network). For a run: its
 * learning curves, its model, results on the test split and statistics from
 * inside the layers. For a search directory (one with search.jsonl): its
 * trials, the objective against each parameter, every trial's curve and the
 * Pareto front (src/search/report.ts).
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Command } from 'commander';
import { describeCheckpoint } from '../../checkpoint/store.js';
import { UsageError } from '../../errors.js';
import { printJson, warnOnStderr, withBackend, withJson } from '../options.js';
import type { CommonOptions } from '../options.js';

export interface ReportOptions extends Omit<CommonOptions, 'set'> {
  out?: string;
}

const rel = (p: string) => relative(process.cwd(), p) || '.';

export function reportCommand(program: Command): void {
  const cmd = program
    .command('report')
    .description('write an HTML report of a run (learning curves, the model, test results, statistics from inside the layers) or of a search directory (its trials, the objective against each parameter, curves, the Pareto front)')
    .argument('<dir>', 'a run directory, or a search directory (one with search.jsonl)')
    .option('-o, --out <file>', 'the HTML file to write (default: DIR/report.html)');
  withBackend(withJson(cmd)).action(async (dir: string, opts: ReportOptions) => {
    const file = opts.out ?? join(dir, 'report.html');
    const { isSearchDir } = await import('../../search/files.js');
    if (isSearchDir(dir)) {
      // A search's report reads its files only: no backend, no model.
      const { writeSearchReport } = await import('../../search/report.js');
      const { bytes, trials, front } = await writeSearchReport(dir, file);
      if (opts.json) printJson({ report: file, bytes, trials: trials.length, ...(front ? { front: front.map((t) => t.trial) } : {}) });
      else process.stdout.write(`Wrote ${rel(file)} (${(bytes / 1024).toFixed(0)} KB) from the ${trials.length} trial${trials.length === 1 ? '' : 's'} of the search ${rel(dir)}\n`);
      return;
    }
    const { loadEngine } = await import('../../backend/select.js');
    const engine = await loadEngine(opts.backend);
    const { writeReport } = await import('../../report/index.js');
    let written;
    try {
      written = await writeReport(engine, dir, file, { warn: warnOnStderr });
    } catch (e) {
      // A directory that is neither a run nor a search: say that a search directory is taken too.
      if (e instanceof UsageError && e.diagnostics.length === 1 && e.diagnostics[0]!.code === 'no-checkpoint' && existsSync(dir)) {
        const d = e.diagnostics[0]!;
        throw new UsageError({ ...d, message: `${d.message}, and it is not a search directory either (no search.jsonl, which strata search writes)` });
      }
      throw e;
    }
    const { data, bytes } = written;
    if (opts.json) printJson({ report: file, bytes, checkpoint: data.checkpoint, epochs: data.epochs.length });
    else process.stdout.write(`Wrote ${rel(file)} (${(bytes / 1024).toFixed(0)} KB) from ${describeCheckpoint(rel(data.checkpoint))}\n`);
  });
}
