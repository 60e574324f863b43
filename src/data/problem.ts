/** Errors in data files: a UsageError that names the file and the place in it. */
import { UsageError } from '../errors.js';

/** `file:line:col`, or `file` with the position in words (such as "byte 16"). */
export function dataError(file: string, message: string, at?: { line: number; col?: number } | { byte: number }): UsageError {
  if (at && 'line' in at) return new UsageError({ file, line: at.line, col: at.col ?? 1, code: 'bad-data', message });
  if (at && 'byte' in at) return new UsageError({ file, code: 'bad-data', message: `at byte ${at.byte}: ${message}` });
  return new UsageError({ file, code: 'bad-data', message });
}
