// IPv4 address ranges for NetworkPolicy peers: an ipBlock is its CIDR minus its `except` CIDRs,
// and a rule's peers are the union of such blocks and of pod addresses. nftables interval sets
// refuse overlapping elements, so every list handed to nft is merged first.
import { formatIPv4, parsePrefix, prefixBlock, type IPv4Block } from '../../cluster/ipv4.js';

/** An inclusive range of IPv4 addresses as 32-bit unsigned numbers. */
export type Range = IPv4Block;

/** The addresses of `a.b.c.d/len` (host bits ignored, as net.ParseCIDR masks them); undefined for IPv6 or garbage. */
export function cidrRange(cidr: string): Range | undefined {
  const p = parsePrefix(cidr);
  return p && prefixBlock(p);
}

/**
 * Sorted, with overlapping ranges joined. Touching ones stay apart, so that pods with
 * consecutive addresses stay one element each and a pod coming or going is one element.
 */
export function mergeRanges(ranges: Range[]): Range[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start || a.end - b.end);
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end) last.end = Math.max(last.end, r.end);
    else out.push({ ...r });
  }
  return out;
}

/** `from` without the addresses of `holes`. */
export function subtractRanges(from: Range[], holes: Range[]): Range[] {
  let cur = mergeRanges(from);
  for (const h of mergeRanges(holes)) {
    const next: Range[] = [];
    for (const r of cur) {
      if (h.end < r.start || h.start > r.end) {
        next.push(r);
        continue;
      }
      if (h.start > r.start) next.push({ start: r.start, end: h.start - 1 });
      if (h.end < r.end) next.push({ start: h.end + 1, end: r.end });
    }
    cur = next;
  }
  return cur;
}

export function rangeContains(ranges: Range[], n: number): boolean {
  return ranges.some((r) => r.start <= n && n <= r.end);
}

/** The nft element for a range: a single address or `first-last`. */
export function rangeElement(r: Range): string {
  return r.start === r.end ? formatIPv4(r.start) : `${formatIPv4(r.start)}-${formatIPv4(r.end)}`;
}
