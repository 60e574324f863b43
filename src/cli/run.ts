/**
 * The one top-level handler: runs the command line and turns every error into
 * output and an exit code (0 ok, 2 the user must change something, 1 a
 * failure at run time). Nothing below this calls `process.exit`.
 */
import { CommanderError } from 'commander';
import { relative } from 'node:path';
import { formatDiagnostic, isOsError, osFailure, StrataError } from '../errors.js';
import { createProgram } from './main.js';

export async function run(argv: readonly string[]): Promise<number> {
  const program = createProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (e) {
    return report(e);
  }
}

/** A system call in words, for a failure no command words itself. */
const SYSCALLS: Record<string, string> = {
  open: 'open',
  write: 'write',
  read: 'read',
  mkdir: 'create the folder',
  rename: 'rename',
  unlink: 'remove',
  rmdir: 'remove the folder',
  rm: 'remove',
  fsync: 'write',
  link: 'link',
  copyfile: 'copy to',
  scandir: 'list the folder',
  stat: 'read',
  lstat: 'read',
};

function report(e: unknown): number {
  if (e instanceof CommanderError) {
    // Commander has already printed its message; help and version are not errors.
    return e.exitCode === 0 ? 0 : 2;
  }
  if (isOsError(e) && typeof e.syscall === 'string') {
    // An operating-system failure no command words itself (a full disk, a folder it may not write):
    // the call, the path and the reason, never "a bug".
    const path = typeof e.path === 'string' ? ` ${relative(process.cwd(), e.path) || '.'}` : '';
    e = osFailure(e, `cannot ${SYSCALLS[e.syscall] ?? e.syscall}${path}`);
  }
  if (e instanceof StrataError) {
    for (const d of e.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
    return e.exitCode;
  }
  const err = e instanceof Error ? e : new Error(String(e));
  process.stderr.write(`strata: internal error: ${err.message}\n`);
  if (process.env.STRATA_DEBUG) process.stderr.write(`${err.stack ?? ''}\n`);
  else process.stderr.write('This is a bug in strata, not in your spec. Run again with STRATA_DEBUG=1 for the stack trace, and report it.\n');
  return 1;
}
