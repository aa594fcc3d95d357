// hashicorp/http-echo 1.0: `-listen=:5678 -text=TEXT [-status-code=200]` answers every path with
// TEXT and a newline, and /health with {"status":"ok"}.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { goLog, goReply, goShutdown, parseFlags, remoteAddr, testPort } from './common.js';
import { goDuration } from './go-format.js';

const NAME = 'http-echo';
const VERSION = '1.0.0';

const USAGE = `Usage of /http-echo:
  -listen string
    \taddress and port to listen (default ":5678")
  -status-code int
    \thttp response code, e.g.: 200 (default 200)
  -text string
    \ttext to put on the webpage
  -version
    \tdisplay version information
`;

function appHeaders(res: ServerResponse): void {
  res.setHeader('X-App-Name', NAME);
  res.setHeader('X-App-Version', VERSION);
}

function main(): void {
  const { flags, positional, error } = parseFlags(
    process.argv.slice(2),
    { listen: 'string', text: 'string', version: 'bool', 'status-code': 'int' },
    { singleDash: true },
  );
  if (error) {
    process.stderr.write(`${error}\n${USAGE}`);
    process.exit(2);
  }
  if (flags.version) {
    process.stderr.write(`${NAME} v${VERSION}\n`);
    process.exit(0);
  }
  const text = (flags.text as string | undefined) || process.env.ECHO_TEXT || '';
  if (text === '') {
    process.stderr.write('Missing -text option or ECHO_TEXT env var!\n');
    process.exit(127);
  }
  if (positional.length > 0) {
    process.stderr.write('Too many arguments!\n');
    process.exit(127);
  }
  const status = (flags['status-code'] as number | undefined) ?? 200;
  const listen = (flags.listen as string | undefined) ?? ':5678';
  const m = /^(.*):(\d+)$/.exec(listen);
  if (!m) {
    goLog(`[INFO] server is listening on ${listen}`);
    goLog(`[ERR] server exited with: listen tcp: address ${listen}: missing port in address`);
    process.exit(1);
  }
  const host = m[1].replace(/^\[(.*)\]$/, '$1');
  const port = testPort() ?? Number(m[2]);

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const start = process.hrtime.bigint();
    // Like withAppHeaders: read the whole request body before answering.
    req.resume();
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0];
      appHeaders(res);
      if (path === '/health') {
        goReply(res, 200, '{"status":"ok"}\n');
        return;
      }
      const body = `${text}\n`;
      goReply(res, status, body);
      const took = Number(process.hrtime.bigint() - start);
      const d = new Date();
      const p = (n: number) => String(n).padStart(2, '0');
      const stamp = `${d.getUTCFullYear()}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
      process.stdout.write(
        `${stamp} ${req.headers.host ?? ''} ${remoteAddr(req.socket)} "${req.method} ${path} HTTP/${req.httpVersion}" ${status} ${Buffer.byteLength(body)} "${req.headers['user-agent'] ?? ''}" ${goDuration(took)}\n`,
      );
    });
  });
  const shutdownServer = goShutdown(server);
  const shutdown = () => {
    goLog('[INFO] received interrupt, shutting down...');
    shutdownServer(() => process.exit(2));
    setTimeout(() => process.exit(2), 5000).unref();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  // "listening" is logged once it is true, so a reader of the line finds the port open; a failed
  // listen still logs it first, as the real program does.
  const listening = () => goLog(`[INFO] server is listening on ${listen}`);
  server.once('error', (err: NodeJS.ErrnoException) => {
    if (!server.listening) listening();
    goLog(`[ERR] server exited with: listen tcp ${listen}: ${err.code === 'EADDRINUSE' ? 'bind: address already in use' : err.message}`);
    process.exit(1);
  });
  // `:PORT` is every address, IPv6 and IPv4 (Node falls back to IPv4 without IPv6).
  if (host === '') server.listen(port, listening);
  else server.listen(port, host, listening);
}

main();
