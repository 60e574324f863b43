/**
 * `strata search <spec>`: train a trial for each draw of the spec's `search:`
 * parameters (src/search/), each an ordinary run under the search's
 * directory, and keep the best trial's spec as a plain spec.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Command } from 'commander';
import { Interrupted, UsageError } from '../../errors.js';
import { printJson, withBackend, withJson, withOverrides } from '../options.js';
import type { CommonOptions } from '../options.js';

interface SearchOptions extends CommonOptions {
  out?: string;
  parallel?: string;
  resume?: string;
  engine?: string;
  quiet?: boolean;
}

const rel = (p: string) => relative(process.cwd(), p) || '.';
const short = (v: unknown) => {
  const text = typeof v === 'number' ? String(Number(v.toPrecision(3))) : JSON.stringify(v);
  return text.length > 24 ? `${text.slice(0, 21)}...` : text;
};

export function searchCommand(program: Command): void {
  const cmd = program
    .command('search')
    .description("train a trial for each draw of the spec's search: parameters, and keep the best trial's spec (docs/search.md)")
    .argument('[spec]', 'a spec with a search: section (on --resume: a changed one to continue with)')
    .option('--out <dir>', 'the search directory (default: runs/<name>-search-<timestamp>)')
    .option('--resume <dir>', 'continue an interrupted search: finished trials are kept, a started one continues from its checkpoint')
    .option('--parallel <k>', "trials trained at a time (default: the section's parallel, else 1)")
    .option('--engine <name>', 'what trains each trial: tfjs or torch (as strata train --engine)')
    .option('--quiet', 'print nothing while searching');
  withBackend(withOverrides(withJson(cmd))).action(async (given: string | undefined, opts: SearchOptions) => {
    const { readSpecFile } = await import('../../spec/read.js');
    const { readSearch } = await import('../../search/section.js');
    const { counted, keptSpecText, readTrials, runSearch } = await import('../../search/run.js');
    const { BEST_SPEC, SEARCH_OPTIONS, SEARCH_SPEC, TRIALS_DIR, TRIALS_FILE, trialSpecFile } = await import('../../search/files.js');
    const { defaultRunDir } = await import('../../run/run-dir.js');
    const say = (line: string) => {
      if (!opts.quiet && !opts.json) process.stderr.write(`${line}\n`);
    };
    // A search directory keeps the spec it searches (search.yaml) and the options its trials train with (search.json).
    const resumed = opts.resume;
    let saved: { sets: string[]; trainArgs: string[]; parallel?: number } | undefined;
    if (resumed !== undefined) {
      if (opts.out !== undefined) throw new UsageError({ arg: `--out ${opts.out}`, code: 'search-resume-out', message: '--resume continues the search in its own directory; drop --out' });
      if (!existsSync(join(resumed, SEARCH_OPTIONS))) throw new UsageError({ arg: `--resume ${resumed}`, code: 'search-not-found', message: `'${resumed}' is not a search directory (it has no ${SEARCH_OPTIONS}); give the directory strata search wrote` });
      saved = JSON.parse(readFileSync(join(resumed, SEARCH_OPTIONS), 'utf8')) as { sets: string[]; trainArgs: string[]; parallel?: number };
    } else if (given === undefined) {
      throw new UsageError({ arg: 'search', code: 'search-no-spec', message: 'give the spec to search (strata search SPEC), or --resume DIR to continue a search' });
    }
    const file = given ?? join(resumed!, SEARCH_SPEC);
    const sets = opts.set?.length ? opts.set : (saved?.sets ?? []);
    // Read once (a missing or unreadable file is the user's to fix: exit 2, as for train); its text is the trials' base.
    const spec = readSpecFile(file, { overrides: sets });
    const text = spec.source!.text;
    const plan = readSearch(spec, text, sets);
    if (opts.parallel !== undefined) {
      if (!/^[1-9]\d*$/.test(opts.parallel)) throw new UsageError({ arg: `--parallel ${opts.parallel}`, code: 'bad-parallel', message: 'the number of trials at a time is a whole number ≥ 1, such as --parallel 2' });
      plan.parallel = Number(opts.parallel);
    } else if (saved?.parallel !== undefined) {
      plan.parallel = saved.parallel;
    }
    const dir = resumed ?? opts.out ?? defaultRunDir(`${spec.name}-search`);
    if (resumed === undefined && existsSync(dir) && readdirSync(dir).length > 0) {
      throw new UsageError({ arg: `--out ${dir}`, code: 'run-exists', message: `'${dir}' already exists and is not empty; choose another directory, or continue that search with --resume ${dir}` });
    }
    if (resumed !== undefined && given !== undefined) {
      // As train --resume with a changed spec: say what changed.
      const kept = readSpecFile(join(dir, SEARCH_SPEC), { overrides: saved!.sets });
      const before = readSearch(kept, kept.source!.text, saved!.sets);
      for (const key of ['trials', 'algorithm', 'seed', 'objectives', 'parameters'] as const) {
        const a = JSON.stringify(before[key]);
        const b = JSON.stringify(plan[key]);
        if (a !== b) say(`search.${key} changed: ${a.length > 60 ? `${a.slice(0, 57)}...` : a} → ${b.length > 60 ? `${b.slice(0, 57)}...` : b}`);
      }
    }
    const trainArgs = opts.engine || opts.backend || !saved ? [...(opts.engine ? ['--engine', opts.engine] : []), ...(opts.backend ? ['--backend', opts.backend] : [])] : saved.trainArgs;
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, SEARCH_SPEC), keptSpecText(file, text));
    writeFileSync(join(dir, SEARCH_OPTIONS), `${JSON.stringify({ sets, trainArgs, parallel: plan.parallel })}\n`);
    const earlier = resumed !== undefined && existsSync(join(dir, TRIALS_FILE)) ? readTrials(join(dir, TRIALS_FILE), plan.primary.metric) : [];
    const { metric, goal } = plan.primary;
    const several = plan.objectives.length > 1;
    const { frontOf, PARAMS } = await import('../../search/objectives.js');
    const shown = (m: string, v: number | undefined) => (v === undefined || v === null ? '-' : m === PARAMS ? String(v) : v.toFixed(4));
    const aims = plan.objectives.map((o) => `${o.goal} ${o.metric}`).join(', ');
    say(`${resumed !== undefined ? 'Resuming the search of' : 'Searching'} ${spec.name}: ${plan.trials} trials (${plan.algorithm}${plan.parallel > 1 ? `, ${plan.parallel} at a time` : ''}), ${aims}${several ? ' (a Pareto front)' : ''}; search: ${rel(dir)}`);
    let stop = false;
    const onSigint = () => {
      stop = true;
    };
    process.on('SIGINT', onSigint);
    let result;
    try {
      result = await runSearch({
        spec,
        text,
        earlier,
        sets,
        plan,
        dir,
        trainArgs,
        interrupted: () => stop,
        onStart: (i, params, again) => say(`trial ${i}/${plan.trials}${again ? ' (continued)' : ''}  ${Object.entries(params).map(([k, v]) => `${k}=${short(v)}`).join('  ')}`),
        onTrial: (t, best) => say(`trial ${t.trial}/${plan.trials}  ${t.status}${t.value !== undefined ? `  ${plan.objectives.map((o) => `${o.metric} ${shown(o.metric, t.values?.[o.metric])}`).join('  ')}` : ''}${t.message ? `  (${t.message})` : ''}  ${t.seconds.toFixed(1)} s${best === t ? '  (best)' : ''}`),
      });
    } finally {
      process.off('SIGINT', onSigint);
    }
    const { trials, best } = result;
    const front = several ? frontOf(trials.filter(counted), plan.objectives) : [];
    if (opts.json) {
      printJson({
        search: dir,
        trials,
        ...(best ? { best: { trial: best.trial, params: best.params, value: best.value, values: best.values, spec: join(dir, BEST_SPEC), run: best.run } } : {}),
        ...(several ? { front: front.map((t) => ({ trial: t.trial, params: t.params, values: t.values, spec: trialSpecFile(dir, t.trial), run: t.run })) } : {}),
      });
    } else if (!opts.quiet) {
      const onFront = new Set(front);
      const sorted = [...trials].sort((a, b) => (a.value === undefined ? 1 : b.value === undefined ? -1 : goal === 'maximize' ? b.value - a.value : a.value - b.value));
      const keys = plan.parameters.map((p) => p.path);
      const head = ['trial', 'status', ...plan.objectives.map((o) => o.metric), ...(several ? ['front'] : []), ...keys];
      const rows = sorted.map((t) => [String(t.trial), t.status, ...plan.objectives.map((o) => shown(o.metric, t.values?.[o.metric])), ...(several ? [onFront.has(t) ? '*' : ''] : []), ...keys.map((k) => (k in t.params ? short(t.params[k]) : '-'))]);
      const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
      const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
      process.stdout.write(`\n${line(head)}\n${rows.map(line).join('\n')}\n\n`);
      const invalid = trials.filter((t) => t.status === 'invalid').length;
      const frontLine = several && front.length ? `The Pareto front of ${plan.objectives.map((o) => o.metric).join(' and ')}: trial${front.length === 1 ? '' : 's'} ${front.map((t) => t.trial).join(', ')} (their specs: ${rel(join(dir, TRIALS_DIR))}/NNN.yaml).\n` : '';
      process.stdout.write(
        best
          ? `Best${several ? ` by ${metric}` : ''}: trial ${best.trial}, ${metric} ${best.value!.toFixed(4)}. Its spec: ${rel(join(dir, BEST_SPEC))} (train it with: strata train ${rel(join(dir, BEST_SPEC))}); its run: ${rel(best.run!)}${invalid ? `\n${invalid} trial${invalid === 1 ? '' : 's'} made a spec strata refuses and did not train.` : ''}\n${frontLine}`
          : `No trial finished with a value of ${metric}.\n`,
      );
    }
    if (result.interrupted) throw new Interrupted();
  });
}
