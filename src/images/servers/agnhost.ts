// registry.k8s.io/e2e-test-images/agnhost:2.39 (kubernetes test/images/agnhost): the
// subcommands `netexec`, `serve-hostname` and `pause` (the image's default CMD).
import { parseGoDuration } from '../../api/duration.js';
import { spawn } from 'node:child_process';
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, isIP } from 'node:net';
import { hostname } from 'node:os';
import {
  dieOnSignalsAsGo,
  goFatal,
  goHostPort,
  goLog,
  goReply,
  goTimeNow,
  listenGo,
  parseFlags,
  readBody,
  remoteAddr,
} from './common.js';

/** Alpine's /bin/sh, which the image's netexec /shell runs commands with. */
const SHELL = ['/usr/bin/busybox', 'sh'];

function cobraFail(command: string, message: string): never {
  process.stderr.write(`Error: ${message}\nRun 'agnhost ${command} --help' for usage.\n`);
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------
// netexec

interface Form {
  get(name: string): string;
}

async function formOf(req: IncomingMessage, query: URLSearchParams): Promise<Form> {
  // r.FormValue: url-encoded POST/PUT/PATCH body values first, then the query string.
  let body = new URLSearchParams();
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (['POST', 'PUT', 'PATCH'].includes(req.method ?? '') && type === 'application/x-www-form-urlencoded') {
    body = new URLSearchParams((await readBody(req)).toString('utf8'));
  } else {
    req.resume();
  }
  return { get: (name) => body.get(name) ?? query.get(name) ?? '' };
}

/** encoding/json of a map[string]…: sorted keys, and <, >, & escaped as Go does. */
function goJSON(obj: Record<string, unknown>): string {
  const sorted = Object.fromEntries(Object.keys(obj).sort().map((k) => [k, obj[k]]));
  return JSON.stringify(sorted)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** http.Error: the message and a newline, text/plain, nosniff. */
function httpError(res: ServerResponse, message: string, status: number): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  goReply(res, status, `${message}\n`);
}

const GO_SIGNALS: Record<string, string> = {
  SIGKILL: 'killed', SIGTERM: 'terminated', SIGINT: 'interrupt', SIGHUP: 'hangup', SIGQUIT: 'quit',
  SIGSEGV: 'segmentation fault', SIGABRT: 'aborted', SIGPIPE: 'broken pipe', SIGUSR1: 'user defined signal 1',
};

function runShell(cmd: string): Promise<{ output: string; error?: string }> {
  return new Promise((resolve) => {
    const child = spawn(SHELL[0], [...SHELL.slice(1), '-c', cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', (err) => resolve({ output: '', error: `fork/exec ${SHELL[0]}: ${err.message}` }));
    child.on('close', (code, signal) => {
      const output = Buffer.concat(chunks).toString('utf8');
      if (signal) resolve({ output, error: `signal: ${GO_SIGNALS[signal] ?? signal}` });
      else if (code !== 0) resolve({ output, error: `exit status ${code}` });
      else resolve({ output });
    });
  });
}

function dialHTTP(request: string, host: string, port: number): Promise<string> {
  const addr = goHostPort(host, port);
  const url = `http://${addr}/${request}`;
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host, port, path: `/${request}`, method: 'GET', timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', (err) => reject(new Error(`Get "${url}": ${err.message}`)));
    });
    req.on('timeout', () => {
      req.destroy(new Error('context deadline exceeded (Client.Timeout exceeded while awaiting headers)'));
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      const why =
        err.code === 'ECONNREFUSED' ? `dial tcp ${addr}: connect: connection refused`
        : err.code === 'EHOSTUNREACH' ? `dial tcp ${addr}: connect: no route to host`
        : err.code === 'ENETUNREACH' ? `dial tcp ${addr}: connect: network is unreachable`
        : err.message;
      reject(new Error(`Get "${url}": ${why}`));
    });
    req.end();
  });
}

function dialUDP(request: string, host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
    const local = () => {
      try {
        const a = sock.address();
        return goHostPort(a.address, a.port);
      } catch {
        return '';
      }
    };
    const timer = setTimeout(() => {
      const l = local();
      sock.close();
      reject(new Error(`reading from udp connection failed. err:'read udp ${l}->${goHostPort(host, port)}: i/o timeout'`));
    }, 5000);
    sock.on('message', (msg: Buffer) => {
      clearTimeout(timer);
      sock.close();
      if (msg.length === 0) reject(new Error(`reading from udp connection failed. err:'<nil>'`));
      else resolve(msg.subarray(0, 2048).toString('utf8'));
    });
    sock.on('error', (err) => {
      clearTimeout(timer);
      sock.close();
      reject(new Error(`udp connection write failed. err:${err.message}`));
    });
    sock.connect(port, host, () => sock.send(Buffer.from(request)));
  });
}

async function dialHandler(res: ServerResponse, query: URLSearchParams): Promise<void> {
  const host = query.get('host') ?? '';
  const port = query.get('port') ?? '';
  const request = query.get('request') ?? '';
  const protocol = query.get('protocol') ?? '';
  const tryParam = query.get('tries') ?? '';
  goLog(`GET /dial?host=${host}&protocol=${protocol}&port=${port}&request=${request}&tries=${tryParam}`);
  let tries = 1;
  if (tryParam.length > 0) {
    if (!/^[+-]?\d+$/.test(tryParam)) {
      httpError(res, `tries parameter is invalid. strconv.Atoi: parsing ${JSON.stringify(tryParam)}: invalid syntax`, 400);
      return;
    }
    tries = Number(tryParam);
  }
  if (request.length === 0) {
    httpError(res, 'request parameter not specified. <nil>', 400);
    return;
  }
  const proto = protocol.toLowerCase();
  if (!['', 'http', 'udp', 'sctp'].includes(proto)) {
    httpError(res, `unsupported protocol. ${protocol}`, 400);
    return;
  }
  const portNum = Number(port);
  if (!/^\d+$/.test(port) || portNum > 65535) {
    httpError(res, `host and/or port param are invalid. address ${goHostPort(host, undefined).replace(/:undefined$/, '')}:${port}: invalid port`, 400);
    return;
  }
  if (proto === 'sctp') {
    httpError(res, 'host and/or port param are invalid. sctp is not supported on this node', 400);
    return;
  }
  const errors: string[] = [];
  const responses: string[] = [];
  let response = '';
  for (let i = 0; i < tries; i++) {
    try {
      response = proto === 'udp' ? await dialUDP(request, host, portNum) : await dialHTTP(request, host, portNum);
      responses.push(response);
    } catch (err) {
      response = '';
      errors.push((err as Error).message);
    }
  }
  const output: Record<string, string[]> = {};
  if (response.length > 0) output.responses = responses;
  if (errors.length > 0) output.errors = errors;
  goReply(res, 200, goJSON(output));
}

function netexec(argv: string[]): void {
  const { flags, positional, error } = parseFlags(
    argv,
    {
      'http-port': 'int', 'udp-port': 'int', 'sctp-port': 'int', 'tls-cert-file': 'string',
      'tls-private-key-file': 'string', 'http-override': 'string', 'udp-listen-addresses': 'string',
    },
    { singleDash: false },
  );
  if (error) cobraFail('netexec', error);
  if (positional.length > 0) cobraFail('netexec', `accepts at most 0 arg(s), received ${positional.length}`);
  const httpPort = (flags['http-port'] as number | undefined) ?? 8080;
  const udpPort = (flags['udp-port'] as number | undefined) ?? 8081;
  if (((flags['sctp-port'] as number | undefined) ?? -1) !== -1) goFatal('Error occurred: SCTP is not supported by this node:');
  if (flags['tls-cert-file']) goFatal('Error occurred: HTTPS (--tls-cert-file) is not supported by this node');
  const override = flags['http-override'] as string | undefined;
  // netexec asks for no signal: SIGTERM ends it at once, as it ends any Go program.
  dieOnSignalsAsGo();
  let serverReady = false;

  let server: Server;
  const exitWith = (code: number, timeoutMs: number) => {
    server.close(() => {
      goLog('Graceful shutdown completed with: <nil>');
      process.exit(code);
    });
    server.closeIdleConnections();
    setTimeout(() => {
      goLog('Graceful shutdown completed with: context deadline exceeded');
      process.exit(code);
    }, timeoutMs).unref();
  };

  const route = async (req: IncomingMessage, res: ServerResponse, target: string) => {
    const url = new URL(target, 'http://x');
    const query = url.searchParams;
    switch (url.pathname) {
      case '/clientip':
        goLog('GET /clientip');
        req.resume();
        goReply(res, 200, remoteAddr(req.socket));
        return;
      case '/dial':
        req.resume();
        await dialHandler(res, query);
        return;
      case '/echo': {
        const form = await formOf(req, query);
        const msg = form.get('msg');
        const codeString = form.get('code');
        goLog(`GET /echo?msg=${msg}&code=${codeString}`);
        let status = 200;
        if (codeString !== '') {
          if (!/^[+-]?\d+$/.test(codeString)) {
            goReply(res, 200, `argument 'code' must be an integer or empty, got ${JSON.stringify(codeString)}\n`);
            return;
          }
          status = Number(codeString);
          if (status < 100 || status > 999) {
            // net/http panics on such a code and the connection just drops.
            req.socket.destroy();
            return;
          }
        }
        goReply(res, status, msg);
        return;
      }
      case '/exit': {
        const form = await formOf(req, query);
        const waitString = form.get('wait');
        const timeoutString = form.get('timeout');
        const codeString = form.get('code');
        goLog(`GET /exit?code=${codeString}&timeout=${timeoutString}&wait=${waitString}`);
        const timeout = timeoutString === '' ? 0 : (parseGoDuration(timeoutString) ?? NaN);
        if (Number.isNaN(timeout)) {
          goReply(res, 200, `argument 'timeout' must be a valid golang duration or empty, got ${JSON.stringify(timeoutString)}\n`);
          return;
        }
        const wait = waitString === '' ? 0 : (parseGoDuration(waitString) ?? NaN);
        if (Number.isNaN(wait)) {
          goReply(res, 200, `argument 'wait' must be a valid golang duration or empty, got ${JSON.stringify(waitString)}\n`);
          return;
        }
        if (codeString !== '' && !/^[+-]?\d+$/.test(codeString)) {
          goReply(res, 200, `argument 'code' must be an integer [0-127] or empty, got ${JSON.stringify(codeString)}\n`);
          return;
        }
        const code = codeString === '' ? 0 : Number(codeString);
        goLog(`Will begin shutdown in ${waitString || '0s'}, allowing ${timeoutString || '0s'} for connections to close, then will exit with ${code}`);
        await new Promise((r) => setTimeout(r, Math.max(0, wait)));
        if (timeout <= 0) process.exit(code & 0xff);
        goReply(res, 200, '');
        exitWith(code & 0xff, timeout);
        return;
      }
      case '/healthz':
        goLog('GET /healthz');
        req.resume();
        goReply(res, serverReady ? 200 : 412, '');
        return;
      case '/hostname':
      case '/hostName':
        goLog(`GET ${url.pathname}`);
        req.resume();
        goReply(res, 200, hostname());
        return;
      case '/redirect': {
        const form = await formOf(req, query);
        const location = form.get('location');
        const codeString = form.get('code');
        goLog(`${req.method} /redirect?msg=${location}&code=${codeString}`);
        let code = 302;
        if (codeString !== '') {
          if (!/^[+-]?\d+$/.test(codeString)) {
            goReply(res, 200, `argument 'code' must be an integer or empty, got ${JSON.stringify(codeString)}\n`);
            return;
          }
          code = Number(codeString);
        }
        res.setHeader('Location', location === '' ? '/' : location);
        if (req.method === 'GET' || req.method === 'HEAD') {
          const text = { 301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 307: 'Temporary Redirect', 308: 'Permanent Redirect' }[code] ?? '';
          const href = location.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;').replace(/'/g, '&#39;');
          goReply(res, code, `<a href="${href}">${text}</a>.\n\n`, 'text/html; charset=utf-8');
        } else goReply(res, code, '');
        return;
      }
      case '/shell': {
        const form = await formOf(req, query);
        const cmd = form.get('shellCommand') || form.get('cmd');
        goLog(`GET /shell?cmd=${cmd}`);
        const result = await runShell(cmd);
        const output: Record<string, string> = {};
        if (result.output.length > 0) output.output = result.output;
        if (result.error) output.error = result.error;
        goLog(`Output: map[${Object.keys(output).sort().map((k) => `${k}:${output[k]}`).join(' ')}]`);
        goReply(res, 200, goJSON(output));
        return;
      }
      case '/shutdown':
        goLog('GET /shutdown');
        process.exit(0);
        return;
      case '/upload': {
        goLog('GET /upload');
        const body = (await readBody(req)).toString('latin1');
        const hasFile = /^multipart\/form-data/i.test(req.headers['content-type'] ?? '') && /name="file"/.test(body);
        // The image writes uploads to its /uploads directory, which this host does not provide.
        const message = hasFile ? 'Unable to open file for write' : 'Unable to upload file.';
        goLog(hasFile ? 'Unable to open file for write: open /uploads: no such file or directory' : 'Unable to upload file: http: no such file');
        goReply(res, 200, goJSON({ error: message }));
        return;
      }
      default:
        goLog('GET /');
        req.resume();
        goReply(res, 200, `NOW: ${goTimeNow()}`);
    }
  };

  server = createServer((req, res) => {
    route(req, res, override ?? req.url ?? '/').catch((err: Error) => {
      if (!res.headersSent) httpError(res, err.message, 500);
      else res.destroy();
    });
  });

  if (udpPort !== -1) {
    const addresses = ((flags['udp-listen-addresses'] as string | undefined) ?? '').split(',').filter((a) => a !== '');
    if (addresses.some((a) => isIP(a) === 0)) goFatal(`parseAddress: invalid address ${addresses.find((a) => isIP(a) === 0)}`);
    for (const address of addresses.length ? [...new Set(addresses)].sort() : ['']) {
      startUDPServer(address, udpPort, () => {
        serverReady = true;
      });
    }
  }
  // Logged once the port accepts, so the line can be taken as the server being up.
  listenGo(server, httpPort, () => goLog(`Started HTTP server on port ${httpPort}`));
}

/** Answers `hostname`, `echo <msg>` and `clientip` datagrams, as netexec's UDP server does. */
function startUDPServer(address: string, port: number, onReady: () => void): void {
  const bind = (sock: UdpSocket, host: string | undefined, fallback?: () => void) => {
    sock.once('error', (err: NodeJS.ErrnoException) => {
      if (fallback && (err.code === 'EAFNOSUPPORT' || err.code === 'EADDRNOTAVAIL')) {
        sock.close();
        fallback();
        return;
      }
      goFatal(`Error occurred: failed to create listener for UDP address ${goHostPort(address, port)}:listen udp ${goHostPort(address, port)}: bind: ${err.code === 'EADDRINUSE' ? 'address already in use' : err.message}`);
    });
    sock.on('message', (buf: Buffer, rinfo: RemoteInfo) => reply(sock, buf, rinfo));
    sock.bind(port, host, () => {
      goLog(`Started UDP server on port ${address} ${port}`);
      onReady();
    });
  };
  const reply = (sock: UdpSocket, buf: Buffer, rinfo: RemoteInfo) => {
    const client = goHostPort(rinfo.address, rinfo.port);
    const text = buf.subarray(0, 2048).toString('utf8').trim().toLowerCase();
    let answer: string | undefined;
    if (text === 'hostname') {
      goLog('Sending udp hostName response');
      answer = hostname();
    } else if (text.startsWith('echo ')) {
      answer = text.slice('echo '.length);
      goLog(`Echoing ${answer} to UDP client ${client}\n`);
    } else if (text === 'clientip') {
      goLog(`Sending clientip back to UDP client ${client}\n`);
      answer = client;
    } else if (text.length > 0) {
      goLog(`Unknown UDP command received from ${client}: ${text}\n`);
    }
    if (answer !== undefined) sock.send(answer, rinfo.port, rinfo.address);
  };
  if (address === '') {
    // Go's ":port" is dual-stack; without IPv6 in the namespace it is IPv4 only.
    bind(createSocket({ type: 'udp6', ipv6Only: false }), '::', () => bind(createSocket('udp4'), '0.0.0.0'));
  } else {
    bind(createSocket(isIP(address) === 6 ? 'udp6' : 'udp4'), address);
  }
}

// ---------------------------------------------------------------------------------------------
// serve-hostname

function serveHostname(argv: string[]): void {
  const { flags, positional, error } = parseFlags(
    argv,
    { tcp: 'bool', udp: 'bool', http: 'bool', close: 'bool', port: 'int' },
    { singleDash: false },
  );
  if (error) cobraFail('serve-hostname', error);
  if (positional.length > 0) cobraFail('serve-hostname', `accepts at most 0 arg(s), received ${positional.length}`);
  const doTCP = flags.tcp === true;
  const doUDP = flags.udp === true;
  const doHTTP = flags.http !== false;
  const doClose = flags.close === true;
  const port = (flags.port as number | undefined) ?? 9376;
  if (doHTTP && (doTCP || doUDP)) goFatal("Can't server TCP/UDP mode and HTTP mode at the same time");
  const name = hostname();
  // The handler is in place, and every socket bound, before "Serving on port" says so: a reader
  // of that line may connect or send SIGTERM at once.
  process.on('SIGTERM', () => {
    goLog('Shutting down after receiving signal: terminated.\n');
    goLog('Awaiting pod deletion.\n');
    // The real program sleeps a minute after SIGTERM and keeps serving meanwhile.
    setTimeout(() => process.exit(0), 60_000);
  });
  let unbound = 0;
  const bound = () => {
    if (--unbound === 0) goLog(`Serving on port ${port}.\n`);
  };

  if (doTCP) {
    unbound++;
    const tcp = createTcpServer((conn) => {
      goLog(`TCP request from ${goHostPort(conn.remoteAddress, conn.remotePort)}`);
      conn.end(name);
    });
    tcp.on('error', (err) => goFatal(`Error from net.Listen(): listen tcp :${port}: ${err.message}`));
    tcp.listen(port, bound);
  }
  if (doUDP) {
    unbound++;
    const sock = createSocket({ type: 'udp6', ipv6Only: false });
    sock.on('message', (_buf, rinfo) => {
      goLog(`UDP request from ${goHostPort(rinfo.address, rinfo.port)}`);
      sock.send(name, rinfo.port, rinfo.address);
    });
    sock.on('error', (err) => goFatal(`Error from ListenUDP(): listen udp :${port}: ${err.message}`));
    sock.bind(port, '::', bound);
  }
  if (doHTTP) {
    unbound++;
    const server = createServer((req, res) => {
      goLog(`HTTP request from ${remoteAddr(req.socket)}`);
      req.resume();
      if (doClose) res.setHeader('Connection', 'close');
      goReply(res, 200, name);
    });
    listenGo(server, port, bound);
  }
  if (unbound === 0) goLog(`Serving on port ${port}.\n`);
}

// ---------------------------------------------------------------------------------------------
// pause

function pause(argv: string[]): void {
  if (argv.length > 0) cobraFail('pause', argv[0].startsWith('-') ? `unknown flag: ${argv[0]}` : `accepts at most 0 arg(s), received ${argv.length}`);
  // Handlers first: whoever reads "Paused" may signal at once, and a signal before them would
  // end the process by the signal instead of with its exit code.
  process.on('SIGINT', () => process.exit(1));
  process.on('SIGTERM', () => process.exit(2));
  setInterval(() => undefined, 1 << 30);
  process.stdout.write('Paused\n');
}

const SUBCOMMANDS: Record<string, (argv: string[]) => void> = {
  netexec,
  'serve-hostname': serveHostname,
  pause,
};

function main(): void {
  const [sub, ...rest] = process.argv.slice(2);
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(
      `Usage:\n  agnhost [flags]\n  agnhost [command]\n\nAvailable Commands (on this node):\n` +
        Object.keys(SUBCOMMANDS).map((c) => `  ${c}\n`).join('') +
        `\nFlags:\n  -h, --help   help for agnhost\n`,
    );
    process.exit(0);
  }
  const run = SUBCOMMANDS[sub];
  if (!run) {
    process.stderr.write(`Error: unknown command "${sub}" for "agnhost"\nRun 'agnhost --help' for usage.\n`);
    process.exit(1);
  }
  run(rest);
}

main();
