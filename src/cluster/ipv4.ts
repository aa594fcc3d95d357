// IPv4 addresses as unsigned 32-bit numbers, and CIDR prefixes and ranges over them: the one
// IPv4 implementation of the allocators, the node network, NetworkPolicy and the DNS add-on.

const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** The address as a number, or undefined when `s` is not a dotted-quad IPv4 address. */
export function parseIPv4(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4 || !parts.every((p) => OCTET.test(p))) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

/** The entries of a list of addresses and prefixes that stand for one IPv4 address (`a.b.c.d` or `a.b.c.d/32`), as addresses. */
export function singleIPv4Addresses(list: string[] | undefined): string[] {
  const out: string[] = [];
  for (const a of list ?? []) {
    const ip = a.endsWith('/32') ? a.slice(0, -3) : a;
    if (parseIPv4(ip) !== undefined) out.push(ip);
  }
  return out;
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** An IPv4 prefix: the network address (host bits cleared) and the prefix length. */
export interface IPv4Prefix {
  base: number; // network address as an unsigned 32-bit number
  len: number;
}

function mask(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

/** Parses `a.b.c.d[/len]` (a bare address is a /32), clearing host bits; undefined when malformed. */
export function parsePrefix(text: string): IPv4Prefix | undefined {
  const [addr, lenText, extra] = text.split('/');
  if (extra !== undefined) return undefined;
  const a = parseIPv4(addr);
  if (a === undefined) return undefined;
  if (lenText !== undefined && !/^\d{1,2}$/.test(lenText)) return undefined;
  const len = lenText === undefined ? 32 : Number(lenText);
  if (len > 32) return undefined;
  return { base: (a & mask(len)) >>> 0, len };
}

export function formatPrefix(p: IPv4Prefix): string {
  return `${formatIPv4(p.base)}/${p.len}`;
}

/** Whether prefix a contains prefix b. */
export function prefixContains(a: IPv4Prefix, b: IPv4Prefix): boolean {
  return a.len <= b.len && ((b.base & mask(a.len)) >>> 0) === a.base;
}

/** Whether `ip` is an IPv4 address inside the IPv4 CIDR (or address) `cidr`. */
export function ipv4InCIDR(ip: string, cidr: string): boolean {
  const p = parsePrefix(cidr);
  const a = parseIPv4(ip);
  return p !== undefined && a !== undefined && prefixContains(p, { base: a, len: 32 });
}

/** An inclusive range of IPv4 addresses as 32-bit unsigned numbers. */
export interface IPv4Block {
  start: number;
  end: number;
}

/** Every address of a prefix, network and broadcast included. */
export function prefixBlock(p: IPv4Prefix): IPv4Block {
  return { start: p.base, end: p.base + 2 ** (32 - p.len) - 1 };
}

export interface IPv4Range {
  /** The CIDR as written in flags and messages, e.g. 10.96.0.0/12. */
  cidr: string;
  /** First usable address (the network address is never handed out). */
  first: number;
  /** Number of usable addresses (network and broadcast excluded, as upstream's ipallocator). */
  size: number;
}

/** The usable addresses of an IPv4 CIDR; throws when `cidr` is not one. */
export function cidrRange(cidr: string): IPv4Range {
  const p = cidr.includes('/') ? parsePrefix(cidr) : undefined;
  if (p === undefined || p.len < 1 || p.len > 30) throw new Error(`parsing service CIDR ${cidr}: not an IPv4 CIDR with a prefix of 1-30 bits`);
  return { cidr: formatPrefix(p), first: p.base + 1, size: 2 ** (32 - p.len) - 2 };
}

export function inRange(r: IPv4Range, ip: number): boolean {
  return ip >= r.first && ip < r.first + r.size;
}
