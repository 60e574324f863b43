/**
 * The IDX format of MNIST (and of many image datasets since): a magic number
 * (two zero bytes, a type code, the number of dimensions), each dimension as
 * a big-endian uint32, then the values. Plain or gzip-compressed.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { dataError } from './problem.js';

export interface IdxArray {
  shape: number[];
  /** The values as stored (uint8 for images and labels). */
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

const TYPES: Record<number, { name: string; size: number }> = {
  0x08: { name: 'uint8', size: 1 },
  0x09: { name: 'int8', size: 1 },
  0x0b: { name: 'int16', size: 2 },
  0x0c: { name: 'int32', size: 4 },
  0x0d: { name: 'float32', size: 4 },
  0x0e: { name: 'float64', size: 8 },
};

export function readIdxFile(file: string): IdxArray {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw dataError(file, `cannot be read: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch {
      throw dataError(file, 'is a gzip file that does not decompress (truncated or damaged); download it again');
    }
  }
  return parseIdx(file, bytes);
}

/**
 * The shape an IDX file announces, read from its header alone (a gzip file is
 * read whole): for checking shapes without loading the values. A file whose
 * size does not match its header is refused as `readIdxFile` refuses it.
 */
export function readIdxShape(file: string): number[] {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw dataError(file, `cannot be read: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  try {
    const head = Buffer.alloc(4 + 4 * 255);
    const got = readSync(fd, head, 0, head.length, 0);
    if (got >= 2 && head[0] === 0x1f && head[1] === 0x8b) return readIdxFile(file).shape;
    const size = fstatSync(fd).size;
    const type = TYPES[head[2]!];
    const dims = head[3]!;
    if (got < 4 || head[0] !== 0 || head[1] !== 0 || !type || dims === 0 || got < 4 + 4 * dims) return parseIdx(file, head.subarray(0, got)).shape;
    const shape = Array.from({ length: dims }, (_, i) => head.readUInt32BE(4 + 4 * i));
    const expected = 4 + 4 * dims + shape.reduce((a, b) => a * b, 1) * type.size;
    // The size alone tells what parseIdx would: read the file for its message.
    if (size !== expected) return readIdxFile(file).shape;
    return shape;
  } finally {
    closeSync(fd);
  }
}

export function parseIdx(file: string, bytes: Buffer): IdxArray {
  if (bytes.length === 0) throw dataError(file, 'is empty; an IDX file starts with a 4-byte magic number');
  if (bytes.length < 4) throw dataError(file, 'is cut short inside its 4-byte magic number', { byte: bytes.length });
  if (bytes[0] !== 0 || bytes[1] !== 0 || !TYPES[bytes[2]!] || bytes[3] === 0) {
    throw dataError(file, `wrong magic number 0x${bytes.subarray(0, 4).toString('hex')}: an IDX file starts with 00 00, a type code (08 for uint8) and a dimension count; is this an IDX file?`, { byte: 0 });
  }
  const type = TYPES[bytes[2]!]!;
  const dims = bytes[3]!;
  const header = 4 + 4 * dims;
  if (bytes.length < header) throw dataError(file, `is cut short in its header (${dims} dimensions need ${header} bytes)`, { byte: bytes.length });
  const shape = Array.from({ length: dims }, (_, i) => bytes.readUInt32BE(4 + 4 * i));
  const count = shape.reduce((a, b) => a * b, 1);
  const expected = header + count * type.size;
  if (bytes.length < expected) {
    throw dataError(file, `is truncated: its header announces [${shape.join(', ')}] ${type.name} values (${expected} bytes) but the file has ${bytes.length}`, { byte: bytes.length });
  }
  if (bytes.length > expected) {
    throw dataError(file, `has ${bytes.length - expected} bytes more than its header announces ([${shape.join(', ')}] ${type.name}); it is not a valid IDX file`, { byte: expected });
  }
  const body = bytes.subarray(header, expected);
  if (type.size === 1) {
    // A view into the file's bytes: no copy of the (large) image data.
    return { shape, data: type.name === 'int8' ? new Int8Array(body.buffer, body.byteOffset, body.byteLength) : new Uint8Array(body.buffer, body.byteOffset, body.byteLength) };
  }
  // Multi-byte values are big-endian.
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const n = count;
  switch (type.name) {
    case 'int16':
      return { shape, data: Int16Array.from({ length: n }, (_, i) => view.getInt16(i * 2)) };
    case 'int32':
      return { shape, data: Int32Array.from({ length: n }, (_, i) => view.getInt32(i * 4)) };
    case 'float32':
      return { shape, data: Float32Array.from({ length: n }, (_, i) => view.getFloat32(i * 4)) };
    default:
      return { shape, data: Float64Array.from({ length: n }, (_, i) => view.getFloat64(i * 8)) };
  }
}
