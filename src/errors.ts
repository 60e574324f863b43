/**
 * One error shape for the whole program. A mistake of the user's becomes a
 * `UsageError` (exit 2) carrying one or more diagnostics that name the place;
 * a failure at run time becomes a `RuntimeFailure` (exit 1). Only the CLI's
 * top-level handler turns them into output and an exit code.
 */

/** Where a diagnostic points: a file position, or a command-line argument. */
export interface Place {
  file?: string;
  line?: number;
  col?: number;
  /** Set when the value came from the command line (`--set key=value`). */
  arg?: string;
}

export interface Diagnostic extends Place {
  /** A stable machine-readable code, e.g. `unknown-key`, `shape-mismatch`. */
  code: string;
  /** The whole human-readable text, including any "did you mean" or fix. */
  message: string;
  /** The suggested replacement alone, for machine readers (`--json`). */
  suggestion?: string;
}

export class StrataError extends Error {
  readonly exitCode: number;
  readonly diagnostics: readonly Diagnostic[];

  constructor(diagnostics: readonly Diagnostic[], exitCode: number) {
    super(diagnostics.map(formatDiagnostic).join('\n'));
    this.name = new.target.name;
    this.exitCode = exitCode;
    this.diagnostics = diagnostics;
  }
}

/** Bad usage, bad spec or bad data: the user must change something (exit 2). */
export class UsageError extends StrataError {
  constructor(diagnostics: Diagnostic | readonly Diagnostic[]) {
    super(Array.isArray(diagnostics) ? diagnostics : [diagnostics as Diagnostic], 2);
  }
}

/** A failure at run time, such as I/O (exit 1). */
export class RuntimeFailure extends StrataError {
  constructor(diagnostic: Diagnostic) {
    super([diagnostic], 1);
  }
}

export function formatPlace(p: Place): string {
  if (p.arg !== undefined) return p.arg;
  if (p.file === undefined) return 'strata';
  if (p.line === undefined) return p.file;
  return `${p.file}:${p.line}:${p.col ?? 1}`;
}

/** `FILE:LINE:COL: error: MESSAGE` — the one line a user sees per problem. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${escapeControls(formatPlace(d))}: error: ${escapeControls(d.message)}`;
}

/**
 * Control characters written as escapes (`\u001b`), so that a value echoed from a
 * user's file or argument cannot move the cursor, recolour or clear the terminal.
 * Line breaks and tabs stay: some messages span lines.
 */
export function escapeControls(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Stopped by the user (Ctrl-C) after saving what there was to save (exit 130). */
export class Interrupted extends StrataError {
  constructor() {
    super([], 130);
  }
}

/**
 * Why an operating-system call failed, as a plain sentence for a message
 * (`permission denied`, `no space left on the device`, ...); `overrides` words
 * a code for its context, such as ENOENT for a folder being created in.
 */
export function osReason(err: unknown, overrides: Partial<Record<string, string>> = {}): string {
  const e = err as NodeJS.ErrnoException;
  const said = e.code !== undefined ? (overrides[e.code] ?? OS_REASONS[e.code]) : undefined;
  return said ?? e.message;
}

const OS_REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOSPC: 'no space left on the device',
  EROFS: 'the file system is read-only',
  ENOTDIR: 'a part of the path is a file, not a folder',
  ENAMETOOLONG: 'the name is too long for the file system',
  EDQUOT: 'the disk quota is exceeded',
  EIO: 'an input/output error on the device',
  EMFILE: 'too many files are open',
};

/** Whether `err` is an operating-system error (an errno code such as ENOSPC), as Node's fs functions throw. */
export function isOsError(err: unknown): err is NodeJS.ErrnoException & { code: string } {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return err instanceof Error && typeof code === 'string' && /^E[A-Z0-9]+$/.test(code);
}

/**
 * An operating-system error while `doing` something (`cannot write the
 * checkpoint runs/x/checkpoints/epoch-0002`) as a RuntimeFailure (exit 1) whose
 * message says what, why in plain words, and the errno: `...: no space left on
 * the device (ENOSPC)`. Any other error is returned as it is, to be rethrown.
 */
export function osFailure(err: unknown, doing: string, overrides: Partial<Record<string, string>> = {}): unknown {
  if (!isOsError(err)) return err;
  return new RuntimeFailure({ code: 'io-failure', message: `${doing}: ${osReason(err, overrides)} (${err.code})` });
}
