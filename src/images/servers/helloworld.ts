// Istio's samples/helloworld (examples-helloworld-v1/-v2): Flask under gunicorn 22 on [::]:5000.
// /hello adds up square roots a million times and answers `Hello version: $SERVICE_VERSION,
// instance: $HOSTNAME`; /health answers `Helloworld is healthy`.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { burnCpu, testPort } from './common.js';
import { GunicornUsageError, accessLine, gunicornHeaders, gunicornLog, logBindFailure, logStarted, parseGunicornArgs, type GunicornOptions } from './gunicorn.js';

const GUNICORN_VERSION = '22.0.0';

/**
 * CPU time of app.py's loop (`for i in range(0, 1000000): x = x + math.sqrt(x)`): CPython 3.11
 * spent 78 ms of CPU on it on the development machine (time.process_time around the loop).
 */
const BURN_CPU_MICROS = 78_000;

const ROUTE_METHODS = 'GET, HEAD, OPTIONS';

/** Python's %s of os.environ.get(name): the value, or None. */
function pyEnv(name: string): string {
  return process.env[name] ?? 'None';
}

/** werkzeug's HTML error page. */
function errorPage(status: number, title: string, description: string): string {
  return `<!doctype html>\n<html lang=en>\n<title>${status} ${title}</title>\n<h1>${title}</h1>\n<p>${description}</p>\n`;
}

function reply(req: IncomingMessage, res: ServerResponse, status: number, body: string, opts: GunicornOptions): void {
  gunicornHeaders(res);
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.writeHead(status);
  res.end(req.method === 'HEAD' ? undefined : body);
  if (opts.accessLog === '-') process.stdout.write(accessLine(req, res, req.method === 'HEAD' ? 0 : Buffer.byteLength(body)));
}

function handle(req: IncomingMessage, res: ServerResponse, opts: GunicornOptions): void {
  const path = (req.url ?? '/').split('?')[0];
  const route = path === '/hello' || path === '/health';
  if (!route) {
    reply(req, res, 404, errorPage(404, 'Not Found', 'The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.'), opts);
    return;
  }
  if (!['GET', 'HEAD', 'OPTIONS'].includes(req.method ?? '')) {
    res.setHeader('Allow', ROUTE_METHODS);
    reply(req, res, 405, errorPage(405, 'Method Not Allowed', 'The method is not allowed for the requested URL.'), opts);
    return;
  }
  if (req.method === 'OPTIONS') {
    // Flask's automatic OPTIONS answer: the route's methods and an empty body.
    res.setHeader('Allow', ROUTE_METHODS);
    reply(req, res, 200, '', opts);
    return;
  }
  if (path === '/health') {
    reply(req, res, 200, 'Helloworld is healthy', opts);
    return;
  }
  burnCpu(BURN_CPU_MICROS);
  reply(req, res, 200, `Hello version: ${pyEnv('SERVICE_VERSION')}, instance: ${pyEnv('HOSTNAME')}\n`, opts);
}

function main(): void {
  let opts: GunicornOptions;
  try {
    opts = parseGunicornArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof GunicornUsageError)) throw err;
    process.stderr.write(err.text);
    process.exit(2);
  }
  const port = testPort() ?? opts.port;
  const server = createServer({ keepAliveTimeout: 2000 }, (req, res) => {
    req.resume();
    req.on('end', () => handle(req, res, opts));
  });
  server.once('error', (err: NodeJS.ErrnoException) => {
    logBindFailure(opts, err);
    process.exit(1);
  });
  // `[::]` is every address, IPv6 and IPv4 (Node falls back to IPv4 without IPv6).
  const host = opts.host === '::' ? undefined : opts.host;
  server.listen(port, host, () => logStarted(GUNICORN_VERSION, opts));
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.on(sig, () => {
      gunicornLog('INFO', `Handling signal: ${sig === 'SIGTERM' ? 'term' : 'int'}`);
      server.close(() => process.exit(0));
      server.closeIdleConnections();
    });
  }
}

main();
