/**
 * Child processes a test watches as they run, with every wait bounded: a child
 * that dies early, or hangs, fails the test with its stderr instead of hanging
 * the test run.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';

export interface Exit {
  /** The exit code, or null when a signal ended the child. */
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A spawned child with its stdout and stderr collected as they arrive. */
export class WatchedChild {
  stdout = '';
  stderr = '';
  /** Set once the child has exited and its output streams have closed. */
  exit: Exit | undefined;
  private readonly closed: Promise<Exit>;

  constructor(
    readonly child: ChildProcess,
    /** How the child is named in errors, such as its command line. */
    readonly label: string,
  ) {
    child.stdout?.on('data', (d: Buffer) => {
      this.stdout += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
    this.closed = new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
    // Whoever waits gets the error; this only keeps an unawaited failure to spawn from crashing the test process.
    this.closed.catch(() => {});
  }

  /**
   * Resolves with the match once the child's `stream` (stderr unless given)
   * matches `pattern`. Rejects, with the child's stderr, when the child exits
   * first or `ms` milliseconds pass; on a timeout the child is killed, so it
   * cannot keep the test process alive.
   */
  waitFor(pattern: string | RegExp, ms: number, stream: 'stdout' | 'stderr' = 'stderr'): Promise<RegExpMatchArray> {
    const re = typeof pattern === 'string' ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : pattern;
    const what = `${stream} matching ${re}`;
    return new Promise((resolve, reject) => {
      const source = this.child[stream];
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        source?.off('data', check);
        fn();
      };
      // Added after the collecting listener (in the constructor), so this[stream] already holds the chunk.
      const check = () => {
        const m = this[stream].match(re);
        if (m) settle(() => resolve(m));
      };
      const timer = setTimeout(
        () =>
          settle(() => {
            this.kill();
            reject(new Error(`${this.label}: no ${what} within ${ms} ms; killed it. ${this.output()}`));
          }),
        ms,
      );
      source?.on('data', check);
      this.closed.then(
        (exit) => {
          check(); // output may have arrived just before the close
          settle(() => reject(new Error(`${this.label}: exited (${describe(exit)}) before printing ${what}. ${this.output()}`)));
        },
        (err: Error) => settle(() => reject(new Error(`${this.label}: could not run: ${err.message}`))),
      );
      check();
    });
  }

  /** Resolves with how the child ended; rejects, with its stderr, if it is still running after `ms` milliseconds (and kills it). */
  waitForExit(ms: number): Promise<Exit> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.kill();
        reject(new Error(`${this.label}: still running after ${ms} ms; killed it. ${this.output()}`));
      }, ms);
      this.closed.then(
        (exit) => {
          clearTimeout(timer);
          resolve(exit);
        },
        (err: Error) => {
          clearTimeout(timer);
          reject(new Error(`${this.label}: could not run: ${err.message}`));
        },
      );
    });
  }

  /** Send a signal (SIGKILL unless given) unless the child has already exited. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.exit === undefined && this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  private output(): string {
    return `Its stderr:\n${this.stderr || '(empty)'}${this.stdout ? `\nIts stdout:\n${this.stdout}` : ''}`;
  }
}

function describe(exit: Exit): string {
  return exit.signal ? `killed by ${exit.signal}` : `code ${exit.code}`;
}

/** Spawn `command args` with stdout and stderr piped, and watch it. */
export function spawnWatched(command: string, args: readonly string[], options: SpawnOptions = {}): WatchedChild {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  return new WatchedChild(child, [command, ...args].join(' '));
}
