/** `strata validate <spec>`: check a spec and its fit to its dataset; print "ok" and nothing else on success. */
import type { Command } from 'commander';
import { StrataError } from '../../errors.js';
import { printJson, withJson, withOverrides } from '../options.js';
import type { CommonOptions } from '../options.js';

interface ValidateOptions extends CommonOptions {
  /** False with --no-data. */
  data?: boolean;
}

export function validateCommand(program: Command): void {
  const cmd = program
    .command('validate')
    .description('check a spec (schema, graph and shapes) and that its model fits its dataset; prints "ok" on success')
    .argument('<spec>', 'a YAML or JSON spec file')
    .option('--no-data', 'skip the dataset: check the spec alone, without reading any data');
  withOverrides(withJson(cmd)).action(async (file: string, opts: ValidateOptions) => {
    const { readSpecFile } = await import('../../spec/read.js');
    try {
      const spec = readSpecFile(file, { overrides: opts.set });
      if (spec.raw.search !== undefined) {
        // The search section's paths, bounds and conditions, each value tried in the spec it changes.
        const { readSearch } = await import('../../search/section.js');
        readSearch(spec, spec.source!.text, opts.set ?? []);
      }
      // A spec without a data section (such as a converted model) has no dataset to check against; train asks for one.
      if (opts.data !== false && spec.data) {
        const { loadSpecDataset } = await import('../../run/dataset.js');
        // Probed, not loaded: shapes, classes and vocabulary, without every example where the format allows.
        await loadSpecDataset(spec, { seed: spec.seed ?? 0, probe: true });
      }
    } catch (e) {
      if (opts.json && e instanceof StrataError) printJson({ ok: false, errors: e.diagnostics });
      throw e;
    }
    if (opts.json) printJson({ ok: true });
    else process.stdout.write('ok\n');
  });
}
