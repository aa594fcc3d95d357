// IPv4 addresses as unsigned 32-bit numbers, and CIDR ranges over them.

const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** The address as a number, or undefined when `s` is not a dotted-quad IPv4 address. */
export function parseIPv4(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4 || !parts.every((p) => OCTET.test(p))) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
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
  const [addr, bits] = cidr.split('/');
  const base = parseIPv4(addr ?? '');
  const prefix = Number(bits);
  if (base === undefined || !Number.isInteger(prefix) || prefix < 1 || prefix > 30) throw new Error(`parsing service CIDR ${cidr}: not an IPv4 CIDR with a prefix of 1-30 bits`);
  const total = 2 ** (32 - prefix);
  const network = base - (base % total);
  return { cidr: `${formatIPv4(network)}/${prefix}`, first: network + 1, size: total - 2 };
}

export function inRange(r: IPv4Range, ip: number): boolean {
  return ip >= r.first && ip < r.first + r.size;
}
