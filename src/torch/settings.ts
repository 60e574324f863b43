/** What `--engine torch` and `--device` resolve to, refused before anything starts when they cannot be had. */
import { UsageError } from '../errors.js';
import type { Spec } from '../spec/types.js';
import { trainConfig } from '../train/config.js';
import { checkTorchSpec } from './check.js';
import { placeIn } from '../spec/place.js';
import { requireTorchPython } from './python.js';
import type { TorchSettings } from './trainer.js';
import type { Distribution } from './workers.js';

export const DEVICES = ['cpu', 'cuda'];

export function torchSettings(spec: Spec, device: string | undefined, verbose = false): TorchSettings {
  const problems = checkTorchSpec(spec);
  if (problems.length > 0) throw new UsageError(problems);
  if (device !== undefined && !/^(cpu|cuda(:\d+)?)$/.test(device)) {
    throw new UsageError({ arg: `--device ${device}`, code: 'bad-device', message: 'the device must be cpu, cuda or cuda:N (such as cuda:1)' });
  }
  const python = requireTorchPython();
  const threads = process.env.STRATA_THREADS ? Number(process.env.STRATA_THREADS) : undefined;
  // 'auto': cuda when PyTorch sees one (decided in Python, which imports torch anyway).
  return { python: python.command, device: device ?? 'auto', verbose, ...(threads && threads > 0 ? { threads } : {}) };
}

/** train's options for data-parallel training, as typed. */
export interface DistributionOptions {
  workers?: string;
  nodes?: string;
  nodeRank?: string;
  master?: string;
  joinTimeout?: string;
}

/** The default seconds every worker has to join. */
export const JOIN_TIMEOUT = 300;

function whole(flag: string, value: string | undefined, min: number, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min) throw new UsageError({ arg: `${flag} ${value}`, code: 'bad-distribution', message: `${what} must be a whole number ≥ ${min}, such as ${flag} ${Math.max(min, 2)}` });
  return Number(value);
}

/**
 * --workers, --nodes, --node-rank, --master and --join-timeout, checked against each other and
 * against the spec (the global batch must split evenly; carried states cannot be split), or
 * undefined when none is given.
 */
export function distributionOf(spec: Spec, o: DistributionOptions): Distribution | undefined {
  if (o.workers === undefined && o.nodes === undefined && o.nodeRank === undefined && o.master === undefined && o.joinTimeout === undefined) return undefined;
  const workers = whole('--workers', o.workers, 1, 1, 'the worker count');
  const nodes = whole('--nodes', o.nodes, 1, 1, 'the node count');
  const nodeRank = whole('--node-rank', o.nodeRank, 0, 0, "this node's rank");
  if (nodeRank >= nodes) {
    throw new UsageError({ arg: `--node-rank ${nodeRank}`, code: 'bad-node-rank', message: `the node rank is 0 to ${nodes - 1} with --nodes ${nodes} (node 0 keeps the run directory)` });
  }
  const joinTimeout = o.joinTimeout === undefined ? JOIN_TIMEOUT : Number(o.joinTimeout);
  if (!(joinTimeout > 0)) throw new UsageError({ arg: `--join-timeout ${o.joinTimeout}`, code: 'bad-join-timeout', message: 'the join timeout is a number of seconds > 0, such as --join-timeout 120' });
  let master: Distribution['master'];
  if (o.master !== undefined) {
    const m = /^(.+):(\d+)$/.exec(o.master);
    const port = m ? Number(m[2]) : 0;
    if (!m || port < 1 || port > 65535) throw new UsageError({ arg: `--master ${o.master}`, code: 'bad-master', message: "give node 0's address and a free port, such as --master 10.0.0.1:29500 (the same on every node)" });
    master = { host: m[1]!, port };
  } else if (nodes > 1) {
    throw new UsageError({ arg: `--nodes ${nodes}`, code: 'master-missing', message: "several nodes meet at node 0: add --master HOST:PORT with node 0's address and a free port, the same on every node" });
  }
  const world = workers * nodes;
  if (world > 1) {
    const config = trainConfig(spec.train, false);
    const given = spec.train && 'batch_size' in spec.train;
    if (config.batch_size % world !== 0) {
      const lower = config.batch_size - (config.batch_size % world);
      const higher = lower + world;
      throw new UsageError({
        ...placeIn(spec, given ? ['train', 'batch_size'] : ['train']),
        code: 'batch-not-divisible',
        message: `train.batch_size ${config.batch_size} is the global batch, split among ${world} workers; choose a size that ${world} divides, such as ${lower > 0 ? `${lower} or ` : ''}${higher}`,
      });
    }
    if (config.carry_state) {
      throw new UsageError({ ...placeIn(spec, ['train', 'carry_state']), code: 'carry-state-workers', message: `train.carry_state deals the data into lanes that one process carries from batch to batch; it cannot be split among ${world} workers: train it with one (drop --workers and --nodes)` });
    }
  }
  return { workers, nodes, nodeRank, ...(master ? { master } : {}), joinTimeout };
}
