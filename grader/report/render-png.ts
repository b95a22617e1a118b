// Small images for reports: heat-map grids of feature maps and vectors.
import { PNG } from 'pngjs';

/** A colour map from dark blue through teal to yellow (viridis-like), t in [0, 1]. */
function colour(t: number): [number, number, number] {
  const stops: [number, number, number][] = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x)), f = x - i;
  const [a, b] = [stops[i]!, stops[i + 1]!];
  return [0, 1, 2].map((k) => Math.round(a[k]! + (b[k]! - a[k]!) * f)) as [number, number, number];
}

export interface Tile {
  values: ArrayLike<number>;
  height: number;
  width: number;
}

/**
 * Renders rows × columns of tiles, each scaled by `scale`, with a 2-pixel gap.
 * Tiles in the same column share one colour scale, so rows (classes) compare.
 */
export function renderGrid(rows: Tile[][], scale = 4): Buffer {
  const cols = Math.max(...rows.map((r) => r.length));
  const th = Math.max(...rows.flat().map((t) => t.height)), tw = Math.max(...rows.flat().map((t) => t.width));
  const gap = 2;
  const png = new PNG({ width: cols * (tw * scale + gap) + gap, height: rows.length * (th * scale + gap) + gap });
  png.data.fill(255);
  for (let c = 0; c < cols; c++) {
    const col = rows.map((r) => r[c]).filter((t): t is Tile => !!t);
    let lo = Infinity, hi = -Infinity;
    for (const t of col) for (let i = 0; i < t.values.length; i++) { lo = Math.min(lo, t.values[i]!); hi = Math.max(hi, t.values[i]!); }
    const span = hi - lo || 1;
    rows.forEach((row, r) => {
      const t = row[c];
      if (!t) return;
      for (let y = 0; y < t.height * scale; y++) {
        for (let x = 0; x < t.width * scale; x++) {
          const v = t.values[Math.floor(y / scale) * t.width + Math.floor(x / scale)]!;
          const [R, G, B] = colour((v - lo) / span);
          const px = gap + c * (tw * scale + gap) + x, py = gap + r * (th * scale + gap) + y;
          const o = (py * png.width + px) * 4;
          png.data[o] = R; png.data[o + 1] = G; png.data[o + 2] = B; png.data[o + 3] = 255;
        }
      }
    });
  }
  return PNG.sync.write(png);
}

/** Row-major RGB bytes as a PNG; `tiles` side by side with a 2-pixel white gap. */
export function renderRgb(tiles: Uint8Array[], height: number, width: number): Buffer {
  const gap = 2;
  const png = new PNG({ width: tiles.length * (width + gap) - gap, height });
  png.data.fill(255);
  tiles.forEach((rgb, t) => {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const o = (y * png.width + t * (width + gap) + x) * 4, i = (y * width + x) * 3;
        png.data[o] = rgb[i]!; png.data[o + 1] = rgb[i + 1]!; png.data[o + 2] = rgb[i + 2]!; png.data[o + 3] = 255;
      }
    }
  });
  return PNG.sync.write(png);
}
