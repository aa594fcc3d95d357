// gunicorn, the WSGI server the Python sample images start (kennethreitz/httpbin, Istio's
// helloworld): its command line (`-b ADDRESS`, `-k WORKER`, `--access-logfile -`, APP_MODULE),
// its error log lines and its access log format.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { nginxTimeLocal, plainAddress } from './common.js';

export interface GunicornOptions {
  host: string;
  port: number;
  /** The worker class as gunicorn names it in "Using worker:". */
  worker: string;
  /** Where access lines go: undefined (gunicorn's default, none), or '-' for stdout. */
  accessLog?: string;
  app?: string;
}

const VALUED = new Set(['-b', '--bind', '-k', '--worker-class', '-w', '--workers', '--access-logfile', '--error-logfile',
  '--log-level', '-t', '--timeout', '--threads', '--keep-alive', '--graceful-timeout', '--access-logformat', '-c', '--config',
  '--chdir', '-e', '--env', '--max-requests']);
const FLAGS = new Set(['--reload', '--preload', '--capture-output', '--enable-stdio-inheritance', '-R']);

const USAGE = 'usage: gunicorn [OPTIONS] [APP_MODULE]\n';

/** An argparse failure, as gunicorn prints it (exit status 2). */
export class GunicornUsageError extends Error {
  readonly text: string;
  constructor(message: string) {
    super(message);
    this.text = `${USAGE}gunicorn: error: ${message}\n`;
  }
}

/** `0.0.0.0:80`, `[::]:5000`, `:8000` (all IPv4 addresses), `localhost` (port 8000). */
function parseBind(bind: string): { host: string; port: number } {
  const v6 = /^\[([^\]]*)\](?::(\d+))?$/.exec(bind);
  if (v6) return { host: v6[1], port: v6[2] ? Number(v6[2]) : 8000 };
  const colon = bind.lastIndexOf(':');
  if (colon < 0) return { host: bind, port: 8000 };
  const port = bind.slice(colon + 1);
  if (!/^\d+$/.test(port)) throw new GunicornUsageError(`argument -b/--bind: ${JSON.stringify(port)} is not a valid port number.`);
  return { host: bind.slice(0, colon) || '0.0.0.0', port: Number(port) };
}

/** gunicorn's argv (after the program name); the bind defaults to $PORT's, then 127.0.0.1:8000. */
export function parseGunicornArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): GunicornOptions {
  let bind: string | undefined;
  let worker = 'sync';
  let accessLog: string | undefined;
  const positional: string[] = [];
  const unknown: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (VALUED.has(name)) {
      const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new GunicornUsageError(`argument ${name}: expected one argument`);
      if (name === '-b' || name === '--bind') bind ??= value;
      else if (name === '-k' || name === '--worker-class') worker = value.replace(/^egg:gunicorn#/, '');
      else if (name === '--access-logfile') accessLog = value;
    } else if (FLAGS.has(name)) {
      continue;
    } else if (a.startsWith('-') && a !== '-') {
      unknown.push(a);
    } else {
      positional.push(a);
    }
  }
  if (unknown.length > 0 || positional.length > 1) throw new GunicornUsageError(`unrecognized arguments: ${[...unknown, ...positional.slice(1)].join(' ')}`);
  const { host, port } = parseBind(bind ?? (env.PORT ? `0.0.0.0:${env.PORT}` : '127.0.0.1:8000'));
  return { host, port, worker, ...(accessLog !== undefined ? { accessLog } : {}), ...(positional[0] ? { app: positional[0] } : {}) };
}

function logTime(d = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

/** An error-log line on stderr: `[2024-05-01 12:00:00 +0000] [1] [INFO] Starting gunicorn 22.0.0`. */
export function gunicornLog(level: 'INFO' | 'ERROR' | 'CRITICAL', message: string): void {
  process.stderr.write(`[${logTime()}] [${process.pid}] [${level}] ${message}\n`);
}

function listenUrl(o: GunicornOptions): string {
  return o.host.includes(':') ? `http://[${o.host}]:${o.port}` : `http://${o.host}:${o.port}`;
}

/**
 * What the arbiter and its one worker log once the socket is bound. The arbiter and the worker
 * are this one process (one worker is what the samples run), so both lines name its pid.
 */
export function logStarted(version: string, o: GunicornOptions): void {
  gunicornLog('INFO', `Starting gunicorn ${version}`);
  gunicornLog('INFO', `Listening at: ${listenUrl(o)} (${process.pid})`);
  gunicornLog('INFO', `Using worker: ${o.worker}`);
  gunicornLog('INFO', `Booting worker with pid: ${process.pid}`);
}

/** A bind failure, in the arbiter's words (it exits with status 1 without retrying here). */
export function logBindFailure(o: GunicornOptions, err: NodeJS.ErrnoException): void {
  const address = `('${o.host}', ${o.port})`;
  if (err.code === 'EADDRINUSE') gunicornLog('ERROR', `Connection in use: ${address}`);
  else gunicornLog('ERROR', `Invalid address: ${address}: ${err.message}`);
  gunicornLog('ERROR', `Can't connect to ${address}`);
}

/** The default access_log_format: `%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"`. */
export function accessLine(req: IncomingMessage, res: ServerResponse, sent: number): string {
  const target = req.url ?? '/';
  return (
    `${plainAddress(req.socket.remoteAddress)} - - [${nginxTimeLocal()}] "${req.method} ${target} HTTP/${req.httpVersion}" ${res.statusCode} ${sent} ` +
    `"${req.headers.referer ?? '-'}" "${req.headers['user-agent'] ?? '-'}"\n`
  );
}

/** gunicorn's own response headers: Server, and Connection as the worker keeps it. */
export function gunicornHeaders(res: ServerResponse): void {
  res.setHeader('Server', 'gunicorn');
  res.setHeader('Connection', res.shouldKeepAlive ? 'keep-alive' : 'close');
}
