// IPv4/IPv6 networks as nginx's allow/deny and geo blocks take them.
//
//   type Cidr = { family: 4 | 6; bits: bigint; prefix: number; text: string }
//   parseCidr(text: string): Cidr | undefined          "10.0.0.0/8", "1.2.3.4", "fd00::/64"
//   parseCidrList(value: string): { cidrs: Cidr[]; invalid: string[] }   comma separated
//   ipInCidrs(ip: string, cidrs: readonly Cidr[]): boolean
//     ip as Node reports socket.remoteAddress; "::ffff:a.b.c.d" counts as IPv4 a.b.c.d.
//
// Used by annotations.ts (whitelist-source-range, denylist-source-range, limit-whitelist) and by
// policies/source-range.ts and policies/rate-limit.ts on every request.

import { isIPv4, isIPv6 } from 'node:net';

export interface Cidr {
  family: 4 | 6;
  /** The network address with host bits cleared. */
  bits: bigint;
  prefix: number;
  /** As written, for logs and errors. */
  text: string;
}

export function parseCidr(text: string): Cidr | undefined {
  const t = text.trim();
  const slash = t.indexOf('/');
  const addr = slash < 0 ? t : t.slice(0, slash);
  const family = isIPv4(addr) ? 4 : isIPv6(addr) ? 6 : 0;
  if (family === 0) return undefined;
  const width = family === 4 ? 32 : 128;
  let prefix = width;
  if (slash >= 0) {
    const p = t.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) return undefined;
    prefix = Number(p);
    if (prefix > width) return undefined;
  }
  const value = family === 4 ? ipv4ToBigInt(addr) : ipv6ToBigInt(addr);
  return { family, bits: value & mask(width, prefix), prefix, text: t };
}

export function parseCidrList(value: string): { cidrs: Cidr[]; invalid: string[] } {
  const cidrs: Cidr[] = [];
  const invalid: string[] = [];
  for (const part of value.split(',')) {
    const p = part.trim();
    if (p === '') continue;
    const c = parseCidr(p);
    if (c) cidrs.push(c);
    else invalid.push(p);
  }
  return { cidrs, invalid };
}

export function ipInCidrs(ip: string, cidrs: readonly Cidr[]): boolean {
  if (cidrs.length === 0) return false;
  const parsed = parseIp(ip);
  if (!parsed) return false;
  for (const c of cidrs) {
    if (c.family !== parsed.family) continue;
    const width = c.family === 4 ? 32 : 128;
    if ((parsed.value & mask(width, c.prefix)) === c.bits) return true;
  }
  return false;
}

function parseIp(ip: string): { family: 4 | 6; value: bigint } | undefined {
  let a = ip.trim();
  const zone = a.indexOf('%');
  if (zone >= 0) a = a.slice(0, zone);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  if (mapped) a = mapped[1]!;
  if (isIPv4(a)) return { family: 4, value: ipv4ToBigInt(a) };
  if (isIPv6(a)) return { family: 6, value: ipv6ToBigInt(a) };
  return undefined;
}

function mask(width: number, prefix: number): bigint {
  if (prefix === 0) return 0n;
  const all = (1n << BigInt(width)) - 1n;
  return all ^ ((1n << BigInt(width - prefix)) - 1n);
}

function ipv4ToBigInt(a: string): bigint {
  return a.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
}

function ipv6ToBigInt(a: string): bigint {
  let text = a;
  // A trailing dotted quad ("::ffff:1.2.3.4", "64:ff9b::1.2.3.4") stands for the last two groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v = Number(ipv4ToBigInt(dotted[1]!));
    text = text.slice(0, -dotted[1]!.length) + `${(v >>> 16).toString(16)}:${(v & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') as [string, string] : [text, undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(zeros).fill('0'), ...tailGroups];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}
