/** `strata validate <spec>`: check a spec; print "ok" and nothing else on success. */
import type { Command } from 'commander';
import { StrataError } from '../../errors.js';
import { printJson, withJson, withOverrides } from '../options.js';
import type { CommonOptions } from '../options.js';

export function validateCommand(program: Command): void {
  const cmd = program
    .command('validate')
    .description('check a spec (schema, graph and shapes); prints "ok" on success')
    .argument('<spec>', 'a YAML or JSON spec file');
  withOverrides(withJson(cmd)).action(async (file: string, opts: CommonOptions) => {
    const { readSpecFile } = await import('../../spec/read.js');
    try {
      readSpecFile(file, { overrides: opts.set });
    } catch (e) {
      if (opts.json && e instanceof StrataError) printJson({ ok: false, errors: e.diagnostics });
      throw e;
    }
    if (opts.json) printJson({ ok: true });
    else process.stdout.write('ok\n');
  });
}
