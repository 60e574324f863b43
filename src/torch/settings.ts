/** What `--engine torch` and `--device` resolve to, refused before anything starts when they cannot be had. */
import { UsageError } from '../errors.js';
import type { Spec } from '../spec/types.js';
import { checkTorchSpec } from './check.js';
import { requireTorchPython } from './python.js';
import type { TorchSettings } from './trainer.js';

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
