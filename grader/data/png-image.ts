// Reads an RGB picture shipped with an assignment (a DeepDream input, say).
import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';

export interface RgbImage {
  height: number;
  width: number;
  /** Row-major RGB, 3 bytes per pixel (alpha dropped, grey expanded). */
  rgb: Uint8Array;
}

export function readPngRgb(path: string): RgbImage {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`${path}: cannot read the image (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let png: PNG;
  try {
    png = PNG.sync.read(bytes); // always decoded to 8-bit RGBA
  } catch (e) {
    throw new Error(`${path}: not a readable PNG (${(e as Error).message})`);
  }
  const rgb = new Uint8Array(png.width * png.height * 3);
  for (let p = 0; p < png.width * png.height; p++) for (let c = 0; c < 3; c++) rgb[p * 3 + c] = png.data[p * 4 + c]!;
  return { height: png.height, width: png.width, rgb };
}
