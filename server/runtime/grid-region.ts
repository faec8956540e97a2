/**
 * Regions on the coarse square grids models produce (a heatmap, patch-token similarities): the seed cell
 * and the cells connected to it over 4-neighbours whose value reaches a cut, as a box in cells.
 */

export interface CellBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** Index of the strongest cell at or above `threshold` in the central half of the grid (where a candidate sits); -1 if none. */
export function centralPeak(values: ArrayLike<number>, size: number, threshold: number): number {
  let seed = -1;
  let best = threshold;
  const lo = Math.floor(size / 4);
  const hi = Math.ceil((3 * size) / 4);
  for (let y = lo; y < hi; y++) {
    for (let x = lo; x < hi; x++) {
      if (values[y * size + x] >= best) {
        best = values[y * size + x];
        seed = y * size + x;
      }
    }
  }
  return seed;
}

/** Bounding box, in cells, of the cells with value ≥ `cut` connected to `seed` (the seed itself always counts). */
export function growFromSeed(values: ArrayLike<number>, size: number, seed: number, cut: number): CellBox {
  const seen = new Uint8Array(size * size);
  const stack = [seed];
  seen[seed] = 1;
  let [x0, y0, x1, y1] = [size, size, -1, -1];
  while (stack.length) {
    const i = stack.pop() as number;
    const x = i % size;
    const y = (i - x) / size;
    [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
    for (const [dx, dy] of [[1, 0], [-1, 0], [0, 1], [0, -1]] as const) {
      const nx = x + dx;
      const ny = y + dy;
      const j = ny * size + nx;
      if (nx >= 0 && ny >= 0 && nx < size && ny < size && !seen[j] && values[j] >= cut) {
        seen[j] = 1;
        stack.push(j);
      }
    }
  }
  return { x0, y0, x1, y1 };
}
