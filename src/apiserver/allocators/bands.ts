import { randomInt } from 'node:crypto';

/**
 * Picks a free offset in [0, size) the way upstream's bitmap allocators do (KEP-3070 and
 * KEP-3668): the lower "static" band of `staticSize` offsets is kept for explicit requests and
 * used only when the upper band is full. Within a band the search starts at a random offset
 * and walks forward, so a sequence of creates does not crowd the same addresses.
 */
export function pickFree(size: number, staticSize: number, isFree: (offset: number) => boolean): number | undefined {
  const lower = Math.min(staticSize, size);
  return scan(lower, size, isFree) ?? scan(0, lower, isFree);
}

function scan(from: number, to: number, isFree: (offset: number) => boolean): number | undefined {
  const n = to - from;
  if (n <= 0) return undefined;
  const start = randomInt(n);
  for (let i = 0; i < n; i++) {
    const off = from + ((start + i) % n);
    if (isFree(off)) return off;
  }
  return undefined;
}

/** upstream's calculateRangeOffset for Service IPs: min(max(16, size/16), 256). */
export function clusterIPStaticBand(size: number): number {
  return Math.min(Math.max(16, Math.floor(size / 16)), 256);
}

/** upstream's calculateRangeOffset for NodePorts: min(max(16, size/32), 128). */
export function nodePortStaticBand(size: number): number {
  return Math.min(Math.max(16, Math.floor(size / 32)), 128);
}
