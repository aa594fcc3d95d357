// Small pieces the image programs share: how Go's net/http, log and flag packages look from
// outside (agnhost and http-echo are Go programs), and nginx's log and date formats.
// Only node:http/net/dgram-level imports: each container is its own process and memory counts.
import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/**
 * Unit tests run the fixed-port images (echoserver 8080, nginx and hpa-example 80) on a free
 * port of the host's loopback; pods never set this.
 */
export function testPort(): number | undefined {
  const v = Number(process.env.SKIFF_IMAGE_TEST_PORT);
  return Number.isInteger(v) && v > 0 ? v : undefined;
}

/** Go's log package: `2006/01/02 15:04:05 message` on stderr (containers run in UTC). */
export function goLog(message: string): void {
  const d = new Date();
  const stamp = `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  process.stderr.write(`${stamp} ${message.endsWith('\n') ? message : `${message}\n`}`);
}

/** log.Fatal: the message, then exit status 1. */
export function goFatal(message: string): never {
  goLog(message);
  process.exit(1);
}

/**
 * A Go program's fate on SIGTERM, SIGINT and SIGHUP when it has not asked for them with
 * signal.Notify (`handled` names those it has): the runtime re-raises the signal with its
 * default action, which kills the process; as a container's PID 1 the kernel drops that signal,
 * and the runtime exits with status 2 instead. Node as PID 1 would ignore SIGTERM, so a pod of
 * such an image would wait out its whole grace period where the real one goes at once.
 */
export function dieOnSignalsAsGo(handled: NodeJS.Signals[] = []): void {
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    if (handled.includes(sig)) continue;
    process.once(sig, () => {
      if (process.pid === 1) process.exit(2);
      process.kill(process.pid, sig);
    });
  }
}

/**
 * Go's http.Server.Shutdown for `server`, to call once it is made: the returned function stops
 * the listener and closes the idle keep-alive connections, and lets the rest finish, each closing
 * after its answer: a request in flight, and a connection accepted but still to send its first
 * request (Go counts such a connection idle only once it is 5 s old). Node's own close() drops
 * those new connections too, which a proxy that has just written its request on one sees as a
 * failure after sending, one it need not retry. `done` runs once every connection has ended.
 */
export function goShutdown(server: Server): (done: () => void) => void {
  const used = new Set<Socket>();
  const busy = new Set<Socket>();
  let closing = false;
  function answered(this: ServerResponse): void {
    busy.delete(this.req.socket);
  }
  // Before the program's own handler, which may answer at once.
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    if (!used.has(socket)) {
      used.add(socket);
      socket.once('close', () => {
        used.delete(socket);
        busy.delete(socket);
      });
    }
    busy.add(socket);
    if (closing) res.shouldKeepAlive = false;
    res.once('finish', answered);
  });
  return (done) => {
    closing = true;
    // net's close, not http's: http's also closes the connections that have not sent a request yet.
    NetServer.prototype.close.call(server, () => done());
    for (const socket of used) if (!busy.has(socket)) socket.destroy();
    setTimeout(() => server.closeIdleConnections(), 5000).unref();
  };
}

const started = process.hrtime.bigint();

/** fmt's %v of time.Now() in UTC: `2024-05-01 12:00:00.123456789 +0000 UTC m=+3.141592653`. */
export function goTimeNow(): string {
  const d = new Date();
  const mono = Number(process.hrtime.bigint() - started) / 1e9;
  // Date has milliseconds; the nanosecond digits come from the monotonic clock so they move.
  const nanos = d.getUTCMilliseconds() * 1e6 + Number(process.hrtime.bigint() % 1000000n);
  const frac = nanos === 0 ? '' : `.${String(nanos).padStart(9, '0').replace(/0+$/, '')}`;
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${frac} +0000 UTC m=+${mono.toFixed(9)}`
  );
}

/** An address as Go prints host:port: IPv4-mapped IPv6 addresses unmapped, IPv6 in brackets. */
export function goHostPort(address: string | undefined, port: number | undefined): string {
  let host = address ?? '';
  if (host.startsWith('::ffff:') && host.includes('.')) host = host.slice('::ffff:'.length);
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export function remoteAddr(socket: Socket): string {
  return goHostPort(socket.remoteAddress, socket.remotePort);
}

// net/http's StatusText where Node's reason phrases differ; other codes Go knows read the same.
const GO_STATUS_TEXT: Record<number, string> = {
  413: 'Request Entity Too Large', 414: 'Request URI Too Long', 416: 'Requested Range Not Satisfiable', 418: "I'm a teapot",
};
const GO_KNOWN = new Set([
  100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307, 308,
  400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 421, 422, 423, 424,
  425, 426, 428, 429, 431, 451, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511,
]);

/** The reason phrase Go's server writes on the status line (`status code 599` for codes it has no text for). */
export function goStatusText(status: number): string {
  return GO_STATUS_TEXT[status] ?? (GO_KNOWN.has(status) ? STATUS_CODES[status]! : `status code ${status}`);
}

/**
 * A net/http-shaped reply: Date, Content-Length and a sniffed Content-Type; no
 * `Connection`/`Keep-Alive` headers on a kept-alive HTTP/1.1 connection, and `Connection: close`
 * when the connection ends with this reply (the client asked, or HTTP/1.0), as Go sends it.
 */
export function goReply(res: ServerResponse, status: number, body: string | Buffer, contentType = 'text/plain; charset=utf-8'): void {
  res.statusMessage = goStatusText(status);
  if (res.shouldKeepAlive) res.removeHeader('Connection');
  else res.setHeader('Connection', 'close');
  if (!res.hasHeader('Content-Type') && body.length > 0) res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.writeHead(status);
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/**
 * Listens like Go's `:PORT` (all addresses, IPv6 and IPv4, or IPv4 only when the network
 * namespace has no IPv6); log.Fatal on failure with Go's error wording.
 */
export function listenGo(server: Server, port: number, onListening?: () => void): void {
  server.once('error', (err: NodeJS.ErrnoException) => {
    const what = err.code === 'EADDRINUSE' ? 'bind: address already in use' : err.code === 'EACCES' ? 'bind: permission denied' : err.message;
    goFatal(`listen tcp :${port}: ${what}`);
  });
  server.listen(port, onListening);
}

/** textproto.CanonicalMIMEHeaderKey: `x-forwarded-for` → `X-Forwarded-For`; keys with odd bytes stay. */
export function canonicalHeaderKey(key: string): string {
  if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(key)) return key;
  return key.toLowerCase().replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase());
}

/** Reads a request body up to `limit` bytes (the rest is drained and dropped). */
export function readBody(req: IncomingMessage, limit = 10 << 20): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      if (size < limit) chunks.push(c);
      size += c.length;
    });
    req.on('end', () => resolve(Buffer.concat(chunks).subarray(0, limit)));
    req.on('error', reject);
  });
}

/**
 * Go's flag / spf13 pflag style options: `--name=value`, `--name value`, `-name=value`
 * (Go's flag allows one dash), and bare booleans; a `list` flag may repeat (`-H a -H b`, Go's
 * flag.Func). Returns undefined values for absent flags.
 */
export function parseFlags(
  argv: string[],
  spec: Record<string, 'string' | 'int' | 'bool' | 'list'>,
  opts: { singleDash: boolean },
): { flags: Record<string, string | number | boolean | string[]>; positional: string[]; error?: string } {
  const flags: Record<string, string | number | boolean | string[]> = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      positional.push(a);
      // Go's flag stops at the first non-flag argument; pflag intersperses.
      if (opts.singleDash) {
        positional.push(...argv.slice(i + 1));
        break;
      }
      continue;
    }
    const long = a.startsWith('--');
    if (!long && !opts.singleDash) return { flags, positional, error: `unknown shorthand flag: '${a[1]}' in ${a}` };
    const body = a.slice(long ? 2 : 1);
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const type = spec[name];
    if (!type) {
      return { flags, positional, error: opts.singleDash ? `flag provided but not defined: -${name}` : `unknown flag: --${name}` };
    }
    let value: string | undefined = eq >= 0 ? body.slice(eq + 1) : undefined;
    if (type === 'bool') {
      if (value === undefined) flags[name] = true;
      else if (/^(1|t|true|T|TRUE|True)$/.test(value)) flags[name] = true;
      else if (/^(0|f|false|F|FALSE|False)$/.test(value)) flags[name] = false;
      else return { flags, positional, error: `invalid boolean value "${value}" for -${name}` };
      continue;
    }
    if (value === undefined) {
      if (i + 1 >= argv.length) {
        return { flags, positional, error: opts.singleDash ? `flag needs an argument: -${name}` : `flag needs an argument: --${name}` };
      }
      value = argv[++i];
    }
    if (type === 'int') {
      if (!/^[+-]?\d+$/.test(value)) {
        return {
          flags,
          positional,
          error: opts.singleDash
            ? `invalid value "${value}" for flag -${name}: parse error`
            : `invalid argument "${value}" for "--${name}" flag: strconv.ParseInt: parsing "${value}": invalid syntax`,
        };
      }
      flags[name] = Number(value);
    } else if (type === 'list') {
      flags[name] = [...((flags[name] as string[] | undefined) ?? []), value];
    } else {
      flags[name] = value;
    }
  }
  return { flags, positional };
}


let sink = 0;

/**
 * Spends `micros` of this process's CPU time on square roots, as the sample apps' request
 * handlers do (hpa-example's PHP loop, helloworld's Python loop): CPU time, not wall time, so a
 * CPU quota stretches it as it would the interpreter.
 */
export function burnCpu(micros: number): void {
  const start = process.cpuUsage();
  let x = 0.0001;
  for (;;) {
    for (let i = 0; i < 20_000; i++) x += Math.sqrt(x);
    const used = process.cpuUsage(start);
    if (used.user + used.system >= micros) break;
  }
  // Keep the result observable so the loop cannot be optimized away.
  sink = (sink + x) % 1e9;
}

/** nginx's `$time_local` in UTC: `10/Oct/2000:13:55:36 +0000`. */
export function nginxTimeLocal(d = new Date()): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  return `${pad(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

/** nginx's error-log timestamp: `2000/10/10 13:55:36`. */
export function nginxLogTime(d = new Date()): string {
  return `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** Client address as nginx's $remote_addr shows it (IPv4-mapped addresses unmapped). */
export function plainAddress(address: string | undefined): string {
  const a = address ?? '';
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice('::ffff:'.length) : a;
}
