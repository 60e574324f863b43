/**
 * The Python process of the torch engine: started with the Python that has
 * torch (python.ts), commands written to its stdin as JSON lines, events read
 * from its file descriptor 3 as JSON lines (stdout and stderr are whatever
 * Python or a library prints: kept for the error message). Arrays travel as
 * files in the session's work folder (trainer.ts), never as JSON numbers.
 *
 * An `error` event or an exit before the answer is a RuntimeFailure (exit 1)
 * with Python's message; the traceback only when `verbose` (train --verbose).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { RuntimeFailure, UsageError } from '../errors.js';
import { PYTHON_ROOT } from './python.js';

export type TorchEvent = { event: string } & Record<string, unknown>;

export class TorchProcess {
  private readonly child: ChildProcess;
  private readonly queue: TorchEvent[] = [];
  private waiting: ((e: TorchEvent | undefined) => void) | undefined;
  private exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private stderr = '';
  private errored = false;
  /** Who this process is in messages, such as 'worker 1 of 2' (nothing when it is the only one). */
  private readonly label: string;

  constructor(
    python: string,
    private readonly verbose = false,
    options: { env?: Record<string, string>; label?: string } = {},
  ) {
    this.label = options.label ? ` (${options.label})` : '';
    const env = { ...process.env, ...options.env, PYTHONPATH: [PYTHON_ROOT, process.env.PYTHONPATH].filter(Boolean).join(':'), PYTHONUNBUFFERED: '1' };
    this.child = spawn(python, ['-m', 'strata_torch'], { stdio: ['pipe', 'pipe', 'pipe', 'pipe'], env });
    const events = this.child.stdio[3] as Readable;
    createInterface({ input: events }).on('line', (line) => {
      let e: TorchEvent;
      try {
        e = JSON.parse(line) as TorchEvent;
      } catch {
        return;
      }
      this.queue.push(e);
      this.wake();
    });
    const keep = (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-20_000);
    };
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    this.child.on('error', (err) => {
      this.stderr += `\n${err.message}`;
      this.exited = { code: -1, signal: null };
      this.wake();
    });
    this.child.on('exit', (code, signal) => {
      this.exited = { code, signal };
      this.wake();
    });
    (this.child.stdin as Writable).on('error', () => {
      // The process went away; its exit says why.
    });
  }

  private wake(): void {
    const w = this.waiting;
    if (!w) return;
    if (this.queue.length > 0) {
      this.waiting = undefined;
      w(this.queue.shift());
    } else if (this.exited) {
      // Events still in the pipe arrive before 'close'; give them a moment.
      setTimeout(() => {
        if (this.waiting === w) {
          this.waiting = undefined;
          w(this.queue.shift());
        }
      }, 200);
    }
  }

  send(command: Record<string, unknown>): void {
    if (this.exited) return;
    (this.child.stdin as Writable).write(`${JSON.stringify(command)}\n`);
  }

  /** The next event; a failure (an `error` event, or the process gone) throws. */
  async next(): Promise<TorchEvent> {
    const e = this.queue.shift() ?? (await new Promise<TorchEvent | undefined>((resolve) => {
      this.waiting = resolve;
      this.wake();
    }));
    if (!e) throw this.failure();
    if (e.event === 'error') this.errored = true;
    if (e.event === 'error' && typeof e.usage === 'string') {
      // The user's to fix: a device that is not there, a torch that does not import.
      throw new UsageError({ arg: e.usage, code: 'torch-usage', message: String(e.message) });
    }
    if (e.event === 'error' && e.plain === true) {
      // A sentence for the user as it is (the workers could not meet).
      throw new RuntimeFailure({ arg: 'torch engine', code: 'torch-failure', message: `${String(e.message)}${this.verbose ? `\n${String(e.traceback)}` : ''}` });
    }
    if (e.event === 'error') {
      throw new RuntimeFailure({ arg: 'torch engine', code: 'torch-error', message: `PyTorch failed${this.label}: ${String(e.message)}${this.verbose ? `\n${String(e.traceback)}` : ' (--verbose shows the Python traceback)'}` });
    }
    return e;
  }

  /** Send a command and wait for the event that ends it; `onEvent` sees the ones before (progress). */
  async request(command: Record<string, unknown>, endsWith: string, onEvent?: (e: TorchEvent) => void): Promise<TorchEvent> {
    this.send(command);
    for (;;) {
      const e = await this.next();
      if (e.event === endsWith) return e;
      onEvent?.(e);
    }
  }

  private failure(): RuntimeFailure {
    const how = this.exited?.signal ? `was killed by ${this.exited.signal}` : `exited with code ${this.exited?.code ?? 'unknown'}`;
    const tail = this.stderr.trim().split('\n').slice(-5).join('\n');
    return new RuntimeFailure({ arg: 'torch engine', code: 'torch-exited', message: `the PyTorch process${this.label} ${how}${tail ? `:\n${tail}` : ''}` });
  }

  /** Why the process ended without saying why itself (killed, or exited before an error event), or undefined while it runs or when it said. */
  died(): RuntimeFailure | undefined {
    return this.exited && !this.errored && this.queue.every((e) => e.event !== 'error') ? this.failure() : undefined;
  }

  /** Ask it to quit, and kill it if it has not within `ms`. */
  async close(ms = 5000): Promise<void> {
    if (this.exited) return;
    this.send({ cmd: 'quit' });
    (this.child.stdin as Writable).end();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        resolve();
      }, ms);
      this.child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      if (this.exited) {
        clearTimeout(timer);
        resolve();
      }
    });
  }

  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }
}
