// mccutchen/go-httpbin v2 (/bin/go-httpbin): its flags and environment (httpbin/cmd/cmd.go),
// listening on 0.0.0.0:8080 (HTTPS given a certificate and key file), one slog text line per
// request on stderr. Run with --skiff-gunicorn it plays kennethreitz/httpbin's
// `gunicorn -b 0.0.0.0:80 httpbin:app` instead: the same endpoints behind gunicorn's command
// line and logs.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { hostname } from 'node:os';
import { parseGoDuration } from '../../api/duration.js';
import { goShutdown, parseFlags, testPort } from './common.js';
import { goFloat } from './go-format.js';
import { GunicornUsageError, accessLine, logBindFailure, logStarted, parseGunicornArgs } from './gunicorn.js';
import { clientIP, serveHttpbin, type HttpbinOptions } from './httpbin-routes.js';

/** kennethreitz/httpbin's Pipfile.lock pins gunicorn 19.9.0. */
const KENNETHREITZ_GUNICORN = '19.9.0';

const USAGE = `Usage of go-httpbin:
  -allowed-redirect-domains string
    \tComma-separated list of domains the /redirect-to endpoint will allow
  -exclude-headers string
    \tDrop platform-specific headers. Comma-separated list of headers key to drop, supporting wildcard matching.
  -host string
    \tHost to listen on (default "0.0.0.0")
  -https-cert-file string
    \tHTTPS Server certificate file
  -https-key-file string
    \tHTTPS Server private key file
  -log-format string
    \tLog format (text or json) (default "text")
  -max-body-size int
    \tMaximum size of request or response, in bytes (default 1048576)
  -max-duration duration
    \tMaximum duration a response may take (default 10s)
  -port int
    \tPort to listen on (default 8080)
  -prefix string
    \tPath prefix (empty or start with slash and does not end with slash)
  -use-real-hostname
    \tExpose value of os.Hostname() in the /hostname endpoint instead of dummy value
`;

type Attr = [string, string | number];

/** slog's TextHandler value: quoted when empty or holding spaces, quotes, '=' or control characters. */
function slogValue(v: string | number): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : goFloat(v);
  return v === '' || /[\s"=\p{Cc}]/u.test(v) ? JSON.stringify(v) : v;
}

function slog(json: boolean, level: 'INFO' | 'WARN' | 'ERROR', msg: string, attrs: Attr[] = []): void {
  const time = new Date().toISOString();
  if (json) {
    process.stderr.write(`${JSON.stringify({ time, level, msg, ...Object.fromEntries(attrs) })}\n`);
    return;
  }
  const tail = attrs.map(([k, v]) => ` ${k}=${slogValue(v)}`).join('');
  process.stderr.write(`time=${time} level=${level} msg=${slogValue(msg)}${tail}\n`);
}

interface Config extends HttpbinOptions {
  host: string;
  port: number;
  json: boolean;
  /** -https-cert-file and -https-key-file: serve HTTPS with them. */
  tls?: { certFile: string; keyFile: string };
}

function configError(message: string): never {
  process.stderr.write(`error: ${message}\n\n${USAGE}`);
  process.exit(2);
}

/** loadConfig: flags first, then the environment for each flag left at its default. */
function loadConfig(argv: string[]): Config {
  if (argv.some((a) => /^--?(h|help)$/.test(a))) {
    process.stderr.write(USAGE);
    process.exit(0);
  }
  const { flags, error } = parseFlags(
    argv,
    {
      'use-real-hostname': 'bool', 'max-duration': 'string', 'max-body-size': 'int', port: 'int', host: 'string',
      'allowed-redirect-domains': 'string', prefix: 'string', 'https-cert-file': 'string', 'https-key-file': 'string',
      'exclude-headers': 'string', 'log-format': 'string',
    },
    { singleDash: true },
  );
  if (error) configError(error);
  const env = process.env;
  let maxDurationMs = 10_000;
  const rawDuration = (flags['max-duration'] as string | undefined) ?? env.MAX_DURATION;
  if (rawDuration !== undefined && rawDuration !== '') {
    const ms = parseGoDuration(rawDuration);
    if (ms === undefined) {
      if (flags['max-duration'] !== undefined) configError(`invalid value ${JSON.stringify(rawDuration)} for flag -max-duration: parse error`);
      configError(`invalid value ${JSON.stringify(rawDuration)} for env var MAX_DURATION: parse error`);
    }
    maxDurationMs = ms;
  }
  let maxBodySize = (flags['max-body-size'] as number | undefined) ?? 1024 * 1024;
  if (flags['max-body-size'] === undefined && env.MAX_BODY_SIZE) {
    if (!/^[+-]?\d+$/.test(env.MAX_BODY_SIZE)) configError(`invalid value ${JSON.stringify(env.MAX_BODY_SIZE)} for env var MAX_BODY_SIZE: parse error`);
    maxBodySize = Number(env.MAX_BODY_SIZE);
  }
  let port = (flags.port as number | undefined) ?? 8080;
  if (flags.port === undefined && env.PORT) {
    if (!/^[+-]?\d+$/.test(env.PORT)) configError(`invalid value ${JSON.stringify(env.PORT)} for env var PORT: parse error`);
    port = Number(env.PORT);
  }
  const host = (flags.host as string | undefined) ?? (env.HOST || '0.0.0.0');
  const format = (flags['log-format'] as string | undefined) ?? (env.LOG_FORMAT || 'text');
  if (format !== 'text' && format !== 'json') configError(`invalid log format ${JSON.stringify(format)}, must be "text" or "json"`);
  const realHostname = flags['use-real-hostname'] === true || env.USE_REAL_HOSTNAME === '1' || env.USE_REAL_HOSTNAME === 'true';
  const certFile = (flags['https-cert-file'] as string | undefined) ?? env.HTTPS_CERT_FILE ?? '';
  const keyFile = (flags['https-key-file'] as string | undefined) ?? env.HTTPS_KEY_FILE ?? '';
  if ((certFile === '') !== (keyFile === '')) configError('https cert and key must both be provided');
  return { host, port, json: format === 'json', maxBodySize, maxDurationMs, hostname: realHostname ? hostname() : 'go-httpbin', ...(certFile ? { tls: { certFile, keyFile } } : {}) };
}

/** The Observer's line for a served request (StdLogObserver). */
function observe(req: IncomingMessage, res: ServerResponse, json: boolean, started: bigint, size: number): void {
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const level = res.statusCode >= 500 ? 'ERROR' : res.statusCode >= 400 ? 'WARN' : 'INFO';
  slog(json, level, `${res.statusCode} ${req.method} ${req.url} ${ms.toFixed(1)}ms`, [
    ['status', res.statusCode], ['method', req.method ?? ''], ['uri', req.url ?? '/'], ['size_bytes', size],
    ['duration_ms', ms], ['user_agent', req.headers['user-agent'] ?? ''], ['client_ip', clientIP(req)],
  ]);
}

/** Counts the body bytes a response writes (HEAD's are none). */
function countBody(req: IncomingMessage, res: ServerResponse): () => number {
  let size = 0;
  const end = res.end.bind(res) as (chunk?: unknown, ...rest: unknown[]) => ServerResponse;
  res.end = ((chunk?: unknown, ...rest: unknown[]) => {
    if (req.method !== 'HEAD' && (typeof chunk === 'string' || Buffer.isBuffer(chunk))) size += Buffer.byteLength(chunk);
    return end(chunk, ...rest);
  }) as ServerResponse['end'];
  return () => size;
}

function serveGoHttpbin(): void {
  const cfg = loadConfig(process.argv.slice(2));
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const started = process.hrtime.bigint();
    const size = countBody(req, res);
    res.once('finish', () => observe(req, res, cfg.json, started, size()));
    void serveHttpbin(req, res, cfg);
  };
  let server;
  try {
    // Go's ListenAndServeTLS reads the pair when it starts and fails if it cannot.
    server = cfg.tls
      ? createHttpsServer({ keepAliveTimeout: 5000, cert: readFileSync(cfg.tls.certFile), key: readFileSync(cfg.tls.keyFile) }, handler)
      : createServer({ keepAliveTimeout: 5000 }, handler);
  } catch (err) {
    slog(cfg.json, 'ERROR', `error: ${(err as Error).message}`);
    process.exit(1);
  }
  server.once('error', (err: NodeJS.ErrnoException) => {
    const what = err.code === 'EADDRINUSE' ? 'bind: address already in use' : err.message;
    slog(cfg.json, 'ERROR', `error: listen tcp ${cfg.host}:${cfg.port}: ${what}`);
    process.exit(1);
  });
  const port = testPort() ?? cfg.port;
  server.listen(port, cfg.host, () => slog(cfg.json, 'INFO', `go-httpbin listening on ${cfg.tls ? 'https' : 'http'}://${cfg.host}:${cfg.port}`));
  const shutdownServer = goShutdown(server);
  const shutdown = () => {
    slog(cfg.json, 'INFO', 'shutting down ...');
    shutdownServer(() => process.exit(0));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

function serveUnderGunicorn(argv: string[]): void {
  let opts;
  try {
    opts = parseGunicornArgs(argv);
  } catch (err) {
    if (!(err instanceof GunicornUsageError)) throw err;
    process.stderr.write(err.text);
    process.exit(2);
  }
  const gunicorn = opts;
  const cfg: HttpbinOptions = { maxBodySize: 1024 * 1024, maxDurationMs: 10_000, hostname: 'go-httpbin' };
  const server = createServer({ keepAliveTimeout: 2000 }, (req, res) => {
    const size = countBody(req, res);
    if (gunicorn.accessLog === '-') res.once('finish', () => process.stdout.write(accessLine(req, res, size())));
    void serveHttpbin(req, res, cfg);
  });
  server.once('error', (err: NodeJS.ErrnoException) => {
    logBindFailure(gunicorn, err);
    process.exit(1);
  });
  server.listen(testPort() ?? gunicorn.port, gunicorn.host === '::' ? undefined : gunicorn.host, () => logStarted(KENNETHREITZ_GUNICORN, gunicorn));
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.on(sig, () => {
      server.close(() => process.exit(0));
      server.closeIdleConnections();
    });
  }
}

if (process.argv[2] === '--skiff-gunicorn') serveUnderGunicorn(process.argv.slice(3));
else serveGoHttpbin();
