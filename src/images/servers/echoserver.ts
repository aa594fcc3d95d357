// registry.k8s.io/echoserver:1.4: nginx 1.10.0 on port 8080 whose content_by_lua block prints the
// request back as text (CLIENT VALUES, SERVER VALUES, HEADERS RECEIVED, BODY).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { nginxTimeLocal, plainAddress, testPort } from './common.js';

const PORT = testPort() ?? 8080;
const NGINX_VERSION = '1.10.0';
const LUA_VERSION = '10001';
/** `server_name _;` is what $host falls back to when the request names no host. */
const SERVER_NAME = '_';
/** Bodies above client_body_buffer_size go to a temp file, and then $request_body is empty. */
const CLIENT_BODY_BUFFER_SIZE = 8192;
const CLIENT_MAX_BODY_SIZE = 1 << 20;

/** $host: the Host header without port, lower-cased, else the server name. */
function hostOf(req: IncomingMessage): string {
  const raw = req.headers.host;
  if (!raw) return SERVER_NAME;
  const host = raw.startsWith('[') ? raw.slice(0, raw.indexOf(']') + 1) : raw.split(':')[0];
  return host.toLowerCase();
}

/** ngx.req.http_version() as Lua prints the number: 1.1, but 1 for 1.0. */
function luaHttpVersion(req: IncomingMessage): string {
  const v = Number(`${req.httpVersionMajor}.${req.httpVersionMinor}`);
  return String(v);
}

/**
 * ngx.req.get_headers() printed in table.sort order: names lower-cased, names with an underscore
 * dropped (nginx's ignore_invalid_headers), repeated headers' values run together as ngx.say
 * prints a table.
 */
function headerLines(rawHeaders: string[]): string[] {
  const values = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    if (name.includes('_')) continue;
    const list = values.get(name) ?? [];
    list.push(rawHeaders[i + 1]);
    values.set(name, list);
  }
  const names = [...values.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return names.map((n) => `${n}=${values.get(n)!.join('')}`);
}

function echoPage(req: IncomingMessage, localPort: number, body: Buffer | undefined): string {
  const uri = req.url ?? '/';
  const q = uri.indexOf('?');
  const lines = [
    'CLIENT VALUES:',
    `client_address=${plainAddress(req.socket.remoteAddress)}`,
    `command=${req.method}`,
    `real path=${uri}`,
    `query=${q >= 0 ? uri.slice(q + 1) : 'nil'}`,
    `request_version=${luaHttpVersion(req)}`,
    `request_uri=http://${hostOf(req)}:${localPort}${uri}`,
    '',
    'SERVER VALUES:',
    `server_version=nginx: ${NGINX_VERSION} - lua: ${LUA_VERSION}`,
    '',
    'HEADERS RECEIVED:',
    ...headerLines(req.rawHeaders),
    'BODY:',
  ];
  // ngx.say ends each line; the body is printed with ngx.print, so no newline follows it.
  return `${lines.join('\n')}\n${body && body.length > 0 ? body.toString('latin1') : '-no body in request-'}`;
}

function errorPage(status: string): string {
  return (
    `<html>\r\n<head><title>${status}</title></head>\r\n<body bgcolor="white">\r\n` +
    `<center><h1>${status}</h1></center>\r\n<hr><center>nginx/${NGINX_VERSION}</center>\r\n</body>\r\n</html>\r\n`
  );
}

function accessLog(req: IncomingMessage, status: number, bytes: number): void {
  const ref = req.headers.referer ?? '-';
  const ua = req.headers['user-agent'] ?? '-';
  process.stdout.write(
    `${plainAddress(req.socket.remoteAddress)} - - [${nginxTimeLocal()}] "${req.method} ${req.url} HTTP/${req.httpVersion}" ${status} ${bytes} "${ref}" "${ua}"\n`,
  );
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > CLIENT_MAX_BODY_SIZE) {
    const page = errorPage('413 Request Entity Too Large');
    res.writeHead(413, { Server: `nginx/${NGINX_VERSION}`, 'Content-Type': 'text/html', 'Content-Length': page.length, Connection: 'close' });
    res.end(page);
    accessLog(req, 413, page.length);
    req.socket.destroySoon();
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (c: Buffer) => {
    size += c.length;
    if (size <= CLIENT_BODY_BUFFER_SIZE) chunks.push(c);
  });
  req.on('end', () => {
    const body = size > 0 && size <= CLIENT_BODY_BUFFER_SIZE ? Buffer.concat(chunks) : undefined;
    const page = Buffer.from(echoPage(req, req.socket.localPort ?? PORT, body), 'latin1');
    res.setHeader('Server', 'echoserver');
    res.setHeader('Content-Type', 'text/plain');
    if (res.shouldKeepAlive) res.setHeader('Connection', 'keep-alive');
    res.writeHead(200);
    // No Content-Length: the lua output goes out chunked, as with the real server.
    if (req.method === 'HEAD') res.end();
    else {
      res.write(page);
      res.end();
    }
    accessLog(req, 200, page.length);
  });
}

function main(): void {
  const server = createServer({ keepAliveTimeout: 65_000 }, handle);
  server.on('error', (err: NodeJS.ErrnoException) => {
    process.stderr.write(`nginx: [emerg] bind() to 0.0.0.0:${PORT} failed (${err.errno ?? ''}: ${err.message})\n`);
    process.exit(1);
  });
  // `listen 8080;`: IPv4 only, as the image's nginx.conf has it.
  server.listen(PORT, '0.0.0.0');
  // On SIGTERM the pod's endpoint is leaving the Service's rules at the same moment; connections
  // the rules still send here (or that sit accepted but unread) would be cut if the server
  // closed at once. So it serves on until no connection has arrived for a moment (at most 2 s),
  // then stops accepting, answers what it has, and exits.
  let stopping = false;
  let lastConnection = Date.now();
  server.on('connection', () => {
    lastConnection = Date.now();
  });
  const stop = () => {
    if (stopping) return;
    stopping = true;
    const since = Date.now();
    const quiet = setInterval(() => {
      const now = Date.now();
      if (now - lastConnection < QUIET_MS && now - since < DRAIN_MAX_MS) return;
      clearInterval(quiet);
      server.close(() => process.exit(0));
      server.closeIdleConnections();
      setTimeout(() => process.exit(0), 5_000).unref();
    }, QUIET_MS / 3);
  };
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGQUIT'] as const) process.on(sig, stop);
}

/** No new connection for this long means the Service no longer sends any. */
const QUIET_MS = 300;
const DRAIN_MAX_MS = 2_000;

main();
