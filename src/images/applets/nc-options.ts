// The command line and the words of busybox 1.36's full nc (networking/nc_bloaty.c built with
// NC_SERVER, NC_EXTRA and NC_110_COMPAT, as Alpine and the busybox image build it): its option
// string, usage text, libbb's parsing of numbers, ports and host[:port], and the address and
// error texts it prints. Everything here is a plain function, so the wording is tested apart
// from sockets.
import { readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';

/** bb_banner: the real one carries the build time; this build is ours, and says so. */
export const BANNER = 'BusyBox v1.36.1 (skiff) multi-call binary.';

export const USAGE = `Usage: nc [OPTIONS] HOST PORT  - connect
nc [OPTIONS] -l -p PORT [HOST] [PORT]  - listen

\t-e PROG\tRun PROG after connect (must be last)
\t-l\tListen mode, for inbound connects
\t-lk\tWith -e, provides persistent server
\t-p PORT\tLocal port
\t-s ADDR\tLocal address
\t-w SEC\tTimeout for connects and final net reads
\t-i SEC\tDelay interval for lines sent
\t-n\tDon't do DNS resolution
\t-u\tUDP mode
\t-b\tAllow broadcasts
\t-v\tVerbose
\t-o FILE\tHex dump traffic
\t-z\tZero-I/O mode (scanning)
`;

/** Ends the program with this text on stderr and this status (libbb's xfunc_die paths). */
export class NcExit extends Error {
  constructor(
    readonly stderr: string,
    readonly code: number,
  ) {
    super(stderr.trim());
  }
}

/** bb_error_msg_and_die. */
export function die(message: string): never {
  throw new NcExit(`nc: ${message}\n`, 1);
}

/** bb_perror_msg_and_die. */
export function dieErrno(message: string, code: string | undefined): never {
  throw new NcExit(perror(message, code), 1);
}

/** bb_show_usage, after whatever getopt said. `--help` alone exits 0, as in every applet. */
export function usage(before = '', code = 1): never {
  throw new NcExit(`${before}${BANNER}\n\n${USAGE}`, code);
}

export interface NcOptions {
  /** -n: only keeps the peer's name out of listen mode's "connect to" line. */
  numeric: boolean;
  localPort?: string;
  localAddress?: string;
  udp: boolean;
  broadcast: boolean;
  verbose: number;
  /** -w SEC; 0 is no timeout. */
  wait: number;
  /** -l counts: 1 listens once, 2 (-ll or -lk) serves -e PROG for every connection. */
  listen: number;
  /** -i SEC; 0 is off. */
  interval: number;
  hexFile?: string;
  zero: boolean;
  /** -e PROG [ARGS]: everything after -e. */
  prog?: string[];
  /** HOST [PORT] */
  args: string[];
}

/**
 * -e takes the rest of the command line as PROG and its arguments, so it is cut off before
 * option parsing, also when it ends a cluster of flags without arguments (`-lke prog`).
 */
function splitProg(argv: string[]): { opts: string[]; prog?: string[] } {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-e') return { opts: argv.slice(0, i), prog: argv.slice(i + 1) };
    if (a.startsWith('-')) {
      const flags = /^-([nuvlkz]*)e$/.exec(a);
      if (flags) return { opts: [...argv.slice(0, i), ...(flags[1] ? [`-${flags[1]}`] : [])], prog: argv.slice(i + 1) };
    }
  }
  return { opts: argv };
}

/** libbb's xatou_range: decimal digits only, then the range. */
export function parseNumber(s: string, lo: number, hi: number): number {
  if (!/^[0-9]+$/.test(s)) die(`invalid number '${s}'`);
  const n = Number(s);
  if (n < lo || n > hi) die(`number ${s} is not in ${lo}..${hi} range`);
  return n;
}

const TAKES_ARG = new Set(['p', 's', 'w', 'i', 'o']);
const FLAGS = new Set(['n', 'u', 'b', 'v', 'l', 'k', 'z']);

/**
 * getopt32(argv, "np:s:ubvw:+lki:o:z", at most 2 arguments) on glibc's getopt_long: options
 * and arguments may mix (unless POSIXLY_CORRECT), `--` ends options, and a complaint is
 * followed by the usage text.
 */
export function parseOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): NcOptions {
  if (argv.length === 1 && argv[0] === '--help') usage('', 0);
  const { opts: words, prog } = splitProg(argv);
  const o: NcOptions = { numeric: false, udp: false, broadcast: false, verbose: 0, wait: 0, listen: 0, interval: 0, zero: false, args: [] };
  let keep = false;
  const posix = env.POSIXLY_CORRECT !== undefined;
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w === '--') {
      o.args.push(...words.slice(i + 1));
      break;
    }
    if (w.startsWith('--')) usage(`nc: unrecognized option '${w}'\n`);
    if (!w.startsWith('-') || w === '-') {
      if (posix) {
        o.args.push(...words.slice(i));
        break;
      }
      o.args.push(w);
      continue;
    }
    for (let j = 1; j < w.length; j++) {
      const c = w[j];
      if (TAKES_ARG.has(c)) {
        let value = w.slice(j + 1);
        if (value === '') {
          if (i + 1 >= words.length) usage(`nc: option requires an argument -- '${c}'\n`);
          value = words[++i];
        }
        if (c === 'p') o.localPort = value;
        else if (c === 's') o.localAddress = value;
        else if (c === 'w') o.wait = parseNumber(value, 0, 0x7fffffff);
        else if (c === 'i') o.interval = parseNumber(value, 1, 0xffff);
        else o.hexFile = value;
        break;
      }
      if (!FLAGS.has(c)) usage(`nc: invalid option -- '${c}'\n`);
      if (c === 'n') o.numeric = true;
      else if (c === 'u') o.udp = true;
      else if (c === 'b') o.broadcast = true;
      else if (c === 'v') o.verbose++;
      else if (c === 'l') o.listen++;
      else if (c === 'k') keep = true;
      else o.zero = true;
    }
  }
  if (o.args.length > 2) usage();
  if (keep) o.listen = 2;
  if (prog) o.prog = prog;
  return o;
}

/** getservbyname from /etc/services, which the container shares with the host. */
function serviceByName(name: string, proto: string, services: string): number | undefined {
  for (const line of services.split('\n')) {
    const [entry] = line.split('#');
    const [first, portProto, ...aliases] = entry.trim().split(/\s+/);
    if (!portProto) continue;
    const [port, p] = portProto.split('/');
    if (p === proto && (first === name || aliases.includes(name))) return Number(port);
  }
  return undefined;
}

function readServices(): string {
  try {
    return readFileSync('/etc/services', 'utf8');
  } catch {
    return '';
  }
}

/** bb_lookup_port: a number up to 65535, else a service name, else "bad port". */
export function lookupPort(port: string | undefined, proto: 'tcp' | 'udp', services: () => string = readServices): number {
  if (port === undefined) return 0;
  if (/^[0-9]+$/.test(port) && Number(port) <= 65535) return Number(port);
  const named = serviceByName(port, proto, services());
  if (named === undefined) die(`bad port '${port}'`);
  return named;
}

/**
 * str2sockaddr's "ugly parsing of host:addr": `[v6]:port`, `[v6]`, `host:port` (one colon only,
 * since more make an IPv6 address); a port there wins over the PORT argument.
 */
export function splitHostPort(spec: string, port: number): { host: string; port: number } {
  let host = spec;
  let portText: string | undefined;
  if (spec.startsWith('[')) {
    const end = spec.indexOf(']');
    if (end < 0 || (spec[end + 1] !== ':' && spec[end + 1] !== undefined)) die(`bad address '${spec}'`);
    host = spec.slice(1, end);
    if (spec[end + 1] === ':') portText = spec.slice(end + 2);
  } else {
    const colon = spec.lastIndexOf(':');
    if (colon >= 0 && spec.indexOf(':') === colon) {
      host = spec.slice(0, colon);
      portText = spec.slice(colon + 1);
    }
  }
  if (portText === undefined) return { host, port };
  if (!/^[0-9]+$/.test(portText) || Number(portText) > 0xffff) die(`bad port '${portText}'`);
  return { host, port: Number(portText) };
}

/**
 * inet_aton, which libbb tries before any lookup: 1 to 4 parts, each decimal, octal (leading 0)
 * or hex (0x), the last part filling the remaining bytes, so `127.1` is 127.0.0.1.
 */
export function inetAton(s: string): string | undefined {
  const parts = s.split('.');
  if (parts.length > 4) return undefined;
  const nums: number[] = [];
  for (const p of parts) {
    let n: number;
    if (/^0[xX][0-9a-fA-F]*$/.test(p)) n = p.length === 2 ? 0 : parseInt(p.slice(2), 16);
    else if (/^0[0-7]*$/.test(p)) n = parseInt(p, 8);
    else if (/^[1-9][0-9]*$/.test(p)) n = parseInt(p, 10);
    else return undefined;
    nums.push(n);
  }
  const last = nums.pop()!;
  if (nums.some((n) => n > 255) || last >= 2 ** (8 * (4 - nums.length))) return undefined;
  let value = last;
  nums.forEach((n, i) => (value += n * 2 ** (8 * (3 - i))));
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** xmalloc_sockaddr2dotted: `1.2.3.4:80`, `[::1]:80`. */
export function dotted(address: string, port: number): string {
  return isIPv6(address) ? `[${address}]:${port}` : `${address}:${port}`;
}

/** xmalloc_sockaddr2host: a resolved name keeps the port after a colon; numbers are dotted. */
export function hostAndPort(name: string | undefined, address: string, port: number): string {
  if (name === undefined || name.includes(':')) return dotted(address, port);
  return `${name}:${port}`;
}

// glibc's strerror for what a socket reports; bb_perror_msg appends it after ": ".
const STRERROR: Record<string, string> = {
  ECONNREFUSED: 'Connection refused',
  ETIMEDOUT: 'Connection timed out',
  EHOSTUNREACH: 'No route to host',
  ENETUNREACH: 'Network is unreachable',
  ECONNRESET: 'Connection reset by peer',
  ECONNABORTED: 'Software caused connection abort',
  EADDRINUSE: 'Address already in use',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  EAFNOSUPPORT: 'Address family not supported by protocol',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EPIPE: 'Broken pipe',
  EINVAL: 'Invalid argument',
  ENOENT: 'No such file or directory',
  ENOTCONN: 'Transport endpoint is not connected',
  EMSGSIZE: 'Message too long',
  ENOBUFS: 'No buffer space available',
  EHOSTDOWN: 'Host is down',
  ENETDOWN: 'Network is down',
  EISDIR: 'Is a directory',
  EROFS: 'Read-only file system',
};

export function strerror(code: string | undefined): string {
  return (code && STRERROR[code]) ?? `Unknown error ${code ?? ''}`.trim();
}

/** bb_perror_msg. */
export function perror(message: string, code: string | undefined): string {
  return `nc: ${message}: ${strerror(code)}\n`;
}

/**
 * oprint's -o hex dump lines for one block: direction, offset of the block's first byte in its
 * direction's total, 16 lowercase hex bytes, `# ` and the printable bytes.
 */
export function hexdumpLines(direction: '<' | '>', offset: number, bytes: Uint8Array): string {
  let out = '';
  for (let at = 0; at < bytes.length; at += 16) {
    const line = bytes.subarray(at, at + 16);
    const hex = [...line].map((b) => `${b.toString(16).padStart(2, '0')} `).join('').padEnd(48, ' ');
    const text = [...line].map((b) => (b > 31 && b < 127 ? String.fromCharCode(b) : '.')).join('');
    out += `${direction} ${(offset + at).toString(16).padStart(8, '0')} ${hex}# ${text}\n`;
  }
  return out;
}
