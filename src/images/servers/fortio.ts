// fortio/fortio (/usr/bin/fortio): `fortio server` (the HTTP echo server on 8080 with /debug,
// TCP and UDP echo on 8078, the https redirector on 8081), `fortio load [flags] url` and
// `fortio curl url`, `fortio version`. Flags follow the command, Go flag style.
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { parseGoDuration } from '../../api/duration.js';
import { dieOnSignalsAsGo, parseFlags, testPort } from './common.js';
import { FastClient, parseTarget } from './fortio-client.js';
import { debug, echo } from './fortio-echo.js';
import { ERROR, INFO, log, parseLevel, setLogLevel, setLogLevelQuiet } from './fortio-log.js';
import { runLoad } from './fortio-load.js';
import { parsePercentiles } from './fortio-stats.js';

const VERSION_FLAG = '--skiff-fortio-version=';

/** Flags of fortio's that change what a run does and that this fortio does not do: refused, not ignored. */
const UNSUPPORTED = ['json', 'a', 'stdclient', 'h2'];

const FLAGS = {
  qps: 'string', c: 'int', t: 'string', n: 'int', p: 'string', r: 'string', offset: 'string', loglevel: 'string',
  curl: 'bool', H: 'list', k: 'bool', 'https-insecure': 'bool', timeout: 'string', payload: 'string', X: 'string',
  'content-type': 'string', jitter: 'bool', uniform: 'bool', nocatchup: 'bool', 'allow-initial-errors': 'bool',
  'abort-on': 'int', 'log-errors': 'bool', keepalive: 'bool', 'http-port': 'string', 'tcp-port': 'string',
  'udp-port': 'string', 'grpc-port': 'string', 'redirect-port': 'string', 'echo-debug-path': 'string',
  'ui-path': 'string', 'config-dir': 'string', 'data-dir': 'string', json: 'string', a: 'bool', labels: 'string',
  gomaxprocs: 'int', stdclient: 'bool', h2: 'bool', version: 'bool', quiet: 'bool',
} as const;

function usage(version: string): string {
  return (
    `Φορτίο ${version} usage:\n\tfortio command [flags] target\n` +
    'where command is one of: load (load testing), server (starts ui, rest api,\n' +
    ' http-echo, redirect, proxies, tcp-echo, udp-echo and grpc ping servers), \n' +
    ' or curl (single URL debug), or version (prints the full version and build details).\n' +
    'where target is a URL (http load tests) or host:port (grpc health test).\n'
  );
}

function errUsage(version: string, message: string): never {
  process.stderr.write(`${usage(version)}${message}\n`);
  process.exit(1);
}

type Flags = ReturnType<typeof parseFlags>['flags'];

function durationMs(flags: Flags, name: string, version: string, fallbackMs: number): number {
  const raw = flags[name] as string | undefined;
  if (raw === undefined) return fallbackMs;
  // fortio.org/duration adds days (`1d`) to Go's units.
  const days = /^(\d+)d(.*)$/.exec(raw);
  const ms = days ? Number(days[1]) * 86_400_000 + (days[2] === '' ? 0 : (parseGoDuration(days[2]) ?? NaN)) : parseGoDuration(raw);
  if (ms === undefined || Number.isNaN(ms)) errUsage(version, `invalid value ${JSON.stringify(raw)} for flag -${name}: parse error`);
  return ms;
}

function float(flags: Flags, name: string, version: string, fallback: number): number {
  const raw = flags[name] as string | undefined;
  if (raw === undefined) return fallback;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw)) errUsage(version, `invalid value ${JSON.stringify(raw)} for flag -${name}: parse error`);
  return Number(raw);
}

function clientOptions(flags: Flags, version: string) {
  const payload = flags.payload as string | undefined;
  const headers = [...((flags.H as string[] | undefined) ?? [])];
  if (flags['content-type'] !== undefined) headers.push(`Content-Type: ${flags['content-type'] as string}`);
  for (const h of headers) if (!h.includes(':')) errUsage(version, `invalid value ${JSON.stringify(h)} for flag -H: invalid extra header '${h}', expecting Key: Value`);
  return {
    headers,
    userAgent: `fortio.org/fortio-${version}`,
    ...(payload !== undefined ? { payload: Buffer.from(payload) } : {}),
    ...(flags.X !== undefined ? { method: flags.X as string } : {}),
    timeoutMs: durationMs(flags, 'timeout', version, 3000),
    keepAlive: flags.keepalive !== false,
    insecure: flags.k === true || flags['https-insecure'] === true,
    logErrors: flags['log-errors'] !== false,
  };
}

async function curl(url: string, flags: Flags, version: string): Promise<number> {
  const target = parseTarget(url);
  if ('error' in target) errUsage(version, `Error: ${target.error}`);
  const client = new FastClient({ ...clientOptions(flags, version), url, id: 0, run: 0, resolution: 0.001, offset: 0 }, target);
  if (!(await client.init())) return 1;
  const r = await client.fetch();
  client.close();
  process.stderr.write(r.data.subarray(0, r.headerLen));
  process.stdout.write(r.data.subarray(r.headerLen));
  if (r.code !== 200) {
    log(ERROR, { file: 'commonflags.go', line: 160 }, `Error status ${r.code}`);
    return 1;
  }
  return 0;
}

/** `8080`, `:8080`, `host:8080` or `disabled`. */
function listenAddress(spec: string): { host?: string; port: number } | undefined {
  if (spec === 'disabled') return undefined;
  const m = /^(?:(.*):)?(\d+)$/.exec(spec);
  if (!m) return undefined;
  const host = m[1]?.replace(/^\[(.*)\]$/, '$1');
  return { ...(host ? { host } : {}), port: Number(m[2]) };
}

function listening(version: string, name: string, network: 'tcp' | 'udp', addr: AddressInfo): void {
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  log(INFO, { file: 'network.go', line: 156 }, `Fortio ${version} ${name} server listening on ${network} ${host}:${addr.port}`);
}

function listenTcp(server: TcpServer | ReturnType<typeof createServer>, spec: string, version: string, name: string, port?: number): Promise<void> {
  const at = listenAddress(spec);
  if (!at) return Promise.resolve();
  return new Promise((resolve) => {
    server.once('error', (err) => {
      log(ERROR, { file: 'network.go', line: 150 }, `Can't listen to tcp socket ${spec} (${name}) : ${err.message}`);
      process.exit(1);
    });
    server.listen(port ?? at.port, at.host, () => {
      listening(version, name, 'tcp', server.address() as AddressInfo);
      resolve();
    });
  });
}

async function server(flags: Flags, version: string): Promise<void> {
  // serverLoop ends in `select {}`: no signal is fortio's own.
  dieOnSignalsAsGo();
  const httpSpec = (flags['http-port'] as string | undefined) ?? '8080';
  const debugPath = (flags['echo-debug-path'] as string | undefined) ?? '/debug';
  const tcpSpec = (flags['tcp-port'] as string | undefined) ?? '8078';
  const udpSpec = (flags['udp-port'] as string | undefined) ?? '8078';
  const redirectSpec = (flags['redirect-port'] as string | undefined) ?? '8081';
  const tcp = createTcpServer((socket) => {
    socket.on('error', () => socket.destroy());
    socket.pipe(socket);
  });
  await listenTcp(tcp, tcpSpec, version, 'tcp-echo');
  const udpAt = listenAddress(udpSpec);
  if (udpAt) {
    // [::] as Go binds it, or IPv4 alone in a network namespace without IPv6.
    const bind = (type: 'udp6' | 'udp4') =>
      new Promise<Socket | undefined>((resolve) => {
        const udp = createSocket(type);
        udp.once('error', () => resolve(undefined));
        udp.bind(udpAt.port, udpAt.host, () => resolve(udp));
      });
    const udp = (udpAt.host === undefined ? await bind('udp6') : undefined) ?? (await bind(udpAt.host?.includes(':') ? 'udp6' : 'udp4'));
    if (!udp) {
      log(ERROR, { file: 'network.go', line: 150 }, `Can't listen to udp socket ${udpSpec} (udp-echo)`);
      process.exit(1);
    }
    udp.on('message', (msg, rinfo) => udp.send(msg, rinfo.port, rinfo.address));
    listening(version, 'udp-echo', 'udp', udp.address());
  }
  const redirect = createServer((req, res) => {
    req.resume();
    const dest = `https://${req.headers.host ?? ''}${req.url ?? '/'}`;
    res.setHeader('Location', dest);
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    const body = req.method === 'GET' || req.method === 'HEAD' ? `<a href="${dest}">See Other</a>.\n\n` : '';
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.writeHead(303);
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await listenTcp(redirect, redirectSpec, version, 'https redirector');
  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    const handled = debugPath !== '' && path === debugPath ? debug(req, res, version) : echo(req, res);
    handled.catch((err: Error) => {
      log(ERROR, { file: 'http_server.go', line: 137 }, `Error reading body: ${err.message}`);
      if (!res.headersSent) res.writeHead(500).end(`${err.message}\n`);
    });
  });
  await listenTcp(http, httpSpec, version, 'http-echo', testPort());
  if (debugPath !== '') log(INFO, { file: 'uihandler.go', line: 712 }, `Debug endpoint on ${debugPath}, Additional Echo on ${debugPath}/echo/`);
  log(INFO, { file: 'fortio_main.go', line: 300 }, `All fortio ${version} servers started!`);
}

async function main(): Promise<void> {
  let argv = process.argv.slice(2);
  let version = '1.75.2';
  if (argv[0]?.startsWith(VERSION_FLAG)) {
    version = argv[0].slice(VERSION_FLAG.length);
    argv = argv.slice(1);
  }
  const command = argv[0] && !argv[0].startsWith('-') ? argv[0] : undefined;
  const { flags, positional, error } = parseFlags(command ? argv.slice(1) : argv, FLAGS, { singleDash: true });
  if (error) errUsage(version, error);
  const unsupported = UNSUPPORTED.find((f) => flags[f] !== undefined && flags[f] !== false);
  if (unsupported) errUsage(version, `Error: -${unsupported} is not supported by skiff's built-in fortio (HTTP/1.1 fast client, text report only)`);
  if (flags.loglevel !== undefined) {
    const lvl = parseLevel(flags.loglevel as string);
    if (typeof lvl !== 'number') errUsage(version, `invalid value ${JSON.stringify(flags.loglevel)} for flag -loglevel: ${lvl.error}`);
    setLogLevel(lvl);
  }
  // fortio.org/cli's -quiet: Error and above, switched to without the Info line -loglevel prints.
  if (flags.quiet === true) setLogLevelQuiet(ERROR);
  if (flags.version === true || command === 'version') {
    process.stdout.write(`${version}\n`);
    return;
  }
  if (command === undefined) errUsage(version, 'Error: need a command');
  if (command === 'server') {
    if (positional.length > 0) errUsage(version, `Error: too many arguments for server command: ${positional.join(' ')}`);
    await server(flags, version);
    return;
  }
  if (command !== 'load' && command !== 'curl') errUsage(version, `Error: unknown command ${JSON.stringify(command)}`);
  if (positional.length !== 1) errUsage(version, 'Error: fortio load/curl needs a URL or destination');
  const url = positional[0];
  if (command === 'curl' || flags.curl === true) {
    dieOnSignalsAsGo();
    process.exitCode = await curl(url, flags, version);
    return;
  }
  const percentiles = parsePercentiles((flags.p as string | undefined) ?? '50,75,90,99,99.9');
  if (!Array.isArray(percentiles)) errUsage(version, `Unable to extract percentiles from -p: ${percentiles.error}`);
  let interrupt: () => void = () => undefined;
  const interrupted = new Promise<void>((resolve) => (interrupt = resolve));
  // The periodic runner catches SIGINT to end the run early; other signals end fortio.
  dieOnSignalsAsGo(['SIGINT']);
  process.once('SIGINT', () => interrupt());
  process.exitCode = await runLoad({
    url,
    qps: float(flags, 'qps', version, 8),
    threads: (flags.c as number | undefined) ?? 4,
    durationNs: durationMs(flags, 't', version, 5000) * 1e6,
    exactly: (flags.n as number | undefined) ?? 0,
    percentiles,
    resolution: float(flags, 'r', version, 0.001),
    offset: durationMs(flags, 'offset', version, 0) / 1000,
    jitter: flags.jitter === true,
    uniform: flags.uniform === true,
    noCatchUp: flags.nocatchup === true,
    allowInitialErrors: flags['allow-initial-errors'] === true,
    abortOn: (flags['abort-on'] as number | undefined) ?? 0,
    client: clientOptions(flags, version),
    version,
    gomaxprocs: (flags.gomaxprocs as number | undefined) ?? 0,
    interrupted,
  });
}

void main();
