/**
 * The direction of strata's modules, checked by `test/structure.test.ts` (and
 * by `npx depcruise src`). docs/development.md explains the layers; this file
 * is where they are written down once.
 *
 * Each folder of src/ (and each file directly in src/) has a rank. A module may
 * import modules of its own folder and of lower ranks only. Two folders of the
 * same rank do not import each other. Type-only imports count: a cycle of types
 * is still two modules that cannot be understood apart.
 */
const RANKS = [
  // Leaves that anything may use.
  ['errors.ts', 'version.ts', 'tf-types.ts', 'rng.ts', 'round.ts', 'kernel-names.ts'],
  // Text with positions, JSON Schema checks with located messages, suggestions; calls of
  // strata's own kernels that both the backend and the layers make.
  ['document', 'kernel-calls.ts'],
  // The TensorFlow.js backend, and the layer registry with its layers.
  ['backend', 'layers'],
  // The training registry: optimizers, losses, schedules, metrics.
  ['train-registry'],
  // Datasets.
  ['data'],
  // The spec: reading, checking, the graph.
  ['spec'],
  // Building a model from a spec.
  ['model'],
  // The training loop.
  ['train'],
  // The torch engine: the same training on PyTorch, in a Python process (python/strata_torch).
  ['torch'],
  // Checkpoints.
  ['checkpoint'],
  // What works on checkpoints and run directories.
  ['run', 'eval', 'convert'],
  // The HTML report; compression (a smaller model, measured by the evaluation).
  ['report', 'compress'],
  // Hyperparameter search: samplers now; above run/ because it will run each trial as a run.
  ['search'],
  // Generated documentation.
  ['docs'],
  // Entry points: the command line, the generated files, the library (Node and browser).
  ['cli', 'generated.ts', 'index.ts', 'browser.ts'],
];

const esc = (s) => s.replace(/[.]/g, '\\.');
const part = (name) => (name.endsWith('.ts') ? `^src/${esc(name)}$` : `^src/${esc(name)}/`);
const group = (names) => names.map(part).join('|');

const forbidden = [
  {
    name: 'no-circular',
    severity: 'error',
    comment: 'Files that import each other, directly or through others (type imports included).',
    from: {},
    to: { circular: true },
  },
];

RANKS.forEach((names, rank) => {
  const higher = RANKS.slice(rank + 1).flat();
  if (higher.length > 0) {
    forbidden.push({
      name: `rank-${rank}-imports-higher`,
      severity: 'error',
      comment: `${names.join(', ')} (rank ${rank}) may not import a higher layer: ${higher.join(', ')}.`,
      from: { path: group(names) },
      to: { path: group(higher) },
    });
  }
  for (const name of names) {
    const siblings = names.filter((n) => n !== name);
    if (siblings.length === 0) continue;
    forbidden.push({
      name: `rank-${rank}-sibling`,
      severity: 'error',
      comment: `${name} and ${siblings.join(', ')} share rank ${rank} and stay independent of each other.`,
      from: { path: part(name) },
      to: { path: group(siblings) },
    });
  }
});

module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    moduleSystems: ['es6', 'cjs'],
  },
};
