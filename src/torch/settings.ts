/** What `--engine torch` and `--device` resolve to, refused before anything starts when they cannot be had. */
import { UsageError } from '../errors.js';
import type { Spec } from '../spec/types.js';
import { checkTorchSpec } from './check.js';
import { requireTorchPython } from './python.js';
import type { TorchSettings } from './trainer.js';

export const DEVICES = ['cpu', 'cuda'];

export function torchSettings(spec: Spec, device: string | undefined): TorchSettings & { torchVersion: string } {
  const problems = checkTorchSpec(spec);
  if (problems.length > 0) throw new UsageError(problems);
  if (device !== undefined && !/^(cpu|cuda(:\d+)?)$/.test(device)) {
    throw new UsageError({ arg: `--device ${device}`, code: 'bad-device', message: 'the device must be cpu, cuda or cuda:N (such as cuda:1)' });
  }
  const python = requireTorchPython();
  if (device?.startsWith('cuda') && !python.cuda) {
    throw new UsageError({ arg: `--device ${device}`, code: 'no-cuda', message: `PyTorch ${python.torchVersion} (${python.command}) sees no CUDA device; train with --device cpu` });
  }
  const threads = process.env.STRATA_THREADS ? Number(process.env.STRATA_THREADS) : undefined;
  return { python: python.command, device: device ?? (python.cuda ? 'cuda' : 'cpu'), torchVersion: python.torchVersion, ...(threads && threads > 0 ? { threads } : {}) };
}
