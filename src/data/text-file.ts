/** Reading text files as strict UTF-8: a bad byte is an error that names its line and column. */
import { readFileSync, statSync } from 'node:fs';
import { bytesInWords, howToRaise, LIMITS, limitOf } from '../document/limits.js';
import { dataError } from './problem.js';

/** The index of the first byte that is not part of valid UTF-8, or -1. */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) if (i + k >= b.length || (b[i + k]! & 0xc0) !== 0x80) return i;
    i += n + 1;
  }
  return -1;
}

/** Refuse a data file too large to prepare in memory, before reading it. */
function checkDataSize(file: string): void {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return; // reading it says why
  }
  const limit = limitOf(LIMITS.dataBytes);
  if (size <= limit) return;
  throw dataError(file, `is ${bytesInWords(size)}, more than strata's limit of ${bytesInWords(limit)} for a text, CSV or JSON-lines file: it is read whole and takes about 50 times its size in memory while it is prepared (data.limit applies after that); use part of the file, or ${howToRaise(LIMITS.dataBytes, size)}`);
}

export function readUtf8(file: string, what = 'text', charset: 'utf-8' | 'latin1' = 'utf-8'): string {
  checkDataSize(file);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw dataError(file, `cannot be read: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  if (charset === 'latin1') {
    if (bytes.length === 0) throw dataError(file, `is empty; it should hold ${what}`, { line: 1 });
    return bytes.toString('latin1');
  }
  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0) {
    let line = 1;
    let start = 0;
    for (let i = 0; i < bad; i++) if (bytes[i] === 0x0a) { line++; start = i + 1; }
    const col = Buffer.from(bytes.subarray(start, bad)).toString('utf8').length + 1;
    throw dataError(file, `byte 0x${bytes[bad]!.toString(16).padStart(2, '0')} is not valid UTF-8; save the ${what} as UTF-8`, { line, col });
  }
  if (bytes.length === 0) throw dataError(file, `is empty; it should hold ${what}`, { line: 1 });
  return bytes.toString('utf8');
}
