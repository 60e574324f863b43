/** Run the real `strata` executable in a child process, as a user would. */
import { execFile } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BIN = fileURLToPath(new URL('../../../bin/strata.js', import.meta.url));

export interface CliResult {
  /** The exit code; 128 + the signal's number when a signal ended the process, as a shell reports it. */
  code: number;
  stdout: string;
  stderr: string;
  /** The signal that ended the process, if one did (stderr then ends with a line saying so). */
  signal?: NodeJS.Signals;
}

/**
 * How long one `strata` run may take before it is killed: 600 s, or
 * STRATA_TEST_CLI_TIMEOUT_MS milliseconds.
 */
export function cliTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.STRATA_TEST_CLI_TIMEOUT_MS;
  if (raw === undefined || raw === '') return 600_000;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms <= 0) throw new Error(`STRATA_TEST_CLI_TIMEOUT_MS is '${raw}'; give a whole number of milliseconds`);
  return ms;
}

/**
 * Run `strata args` and collect its output. Rejects when the run takes longer
 * than cliTimeoutMs() (the process is killed), with the command line and its
 * stderr so far: a hung command fails its test instead of hanging the suite.
 */
export function strata(args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const timeout = cliTimeoutMs();
  return new Promise((resolve, reject) => {
    let timedOut = false;
    const child = execFile(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? ROOT, env: { ...process.env, ...opts.env }, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      clearTimeout(timer);
      if (timedOut) {
        return reject(new Error(`strata ${args.join(' ')}: killed after ${timeout} ms without finishing (STRATA_TEST_CLI_TIMEOUT_MS sets the limit). Its stderr:\n${stderr || '(empty)'}`));
      }
      if (!err) return resolve({ code: 0, stdout, stderr });
      if (typeof err.code === 'number') return resolve({ code: err.code, stdout, stderr });
      // Could not start (ENOENT, a bad cwd) or wrote more than maxBuffer.
      if (typeof err.code === 'string') return reject(new Error(`strata ${args.join(' ')}: ${err.message}`));
      const signal = err.signal as NodeJS.Signals;
      const note = `${stderr && !stderr.endsWith('\n') ? '\n' : ''}[test helper] strata was killed by ${signal}\n`;
      resolve({ code: 128 + (constants.signals[signal] ?? 0), stdout, stderr: stderr + note, signal });
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeout);
  });
}

/** Whether output looks like a leaked stack trace. */
export function hasStackTrace(text: string): boolean {
  return /^\s+at .+(\(|:\d+:\d+)/m.test(text) || /internal error/.test(text);
}
