// IDX is the format of the original MNIST / Fashion-MNIST files: a 4-byte magic
// (0x00 0x00 <dtype> <ndims>), ndims big-endian uint32 sizes, then raw data.
import { gunzipSync } from 'node:zlib';

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const UBYTE = 0x08;

/** Parses an IDX (optionally gzip-compressed) unsigned-byte file; `file` only names it in errors. */
export function parseIdx(raw: Uint8Array, file: string): IdxArray {
  const buf = raw[0] === 0x1f && raw[1] === 0x8b ? gunzip(raw, file) : raw;
  if (buf.length < 4) throw new Error(`${file}: too short to be an IDX file (${buf.length} bytes)`);
  if (buf[0] !== 0 || buf[1] !== 0) throw new Error(`${file}: bad IDX magic number (first two bytes must be 0)`);
  if (buf[2] !== UBYTE) throw new Error(`${file}: unsupported IDX data type 0x${buf[2]!.toString(16)} (only unsigned byte 0x08)`);
  const ndims = buf[3]!;
  if (ndims < 1 || ndims > 4) throw new Error(`${file}: IDX header declares ${ndims} dimensions (expected 1 to 4)`);
  const headerLen = 4 + 4 * ndims;
  if (buf.length < headerLen) throw new Error(`${file}: truncated IDX header`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dims = Array.from({ length: ndims }, (_, i) => view.getUint32(4 + 4 * i, false));
  const expected = dims.reduce((a, b) => a * b, 1);
  const actual = buf.length - headerLen;
  if (actual !== expected) {
    throw new Error(`${file}: IDX header declares ${dims.join('x')} = ${expected} bytes of data, file has ${actual} (truncated or corrupt)`);
  }
  return { dims, data: buf.subarray(headerLen) };
}

/** Serialises an unsigned-byte IDX file (used by tests and to write small fixtures). */
export function encodeIdx(dims: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  out[2] = UBYTE;
  out[3] = dims.length;
  const view = new DataView(out.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

function gunzip(raw: Uint8Array, file: string): Uint8Array {
  try {
    return new Uint8Array(gunzipSync(raw));
  } catch (e) {
    throw new Error(`${file}: corrupt gzip stream (${(e as Error).message})`);
  }
}
