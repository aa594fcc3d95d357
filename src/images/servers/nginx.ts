// The official nginx image with its default configuration: port 80, /usr/share/nginx/html with
// index.html ("Welcome to nginx!") and 50x.html, nginx's own error pages for everything else.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { release } from 'node:os';
import { nginxLogTime, nginxTimeLocal, plainAddress, testPort } from './common.js';

const VERSION_FLAG = '--skiff-nginx-version=';

function versionAtLeast(v: string, min: [number, number, number]): boolean {
  const parts = v.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const a = parts[i] ?? 0;
    if (a !== min[i]) return a > min[i];
  }
  return true;
}

// nginx's html/index.html; the dark-mode-aware version replaced the older one in the 1.21 line.
const INDEX_HTML = `<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
`;

const INDEX_HTML_OLD = `<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
    body {
        width: 35em;
        margin: 0 auto;
        font-family: Tahoma, Verdana, Arial, sans-serif;
    }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
`;

const FIFTY_X_HTML = `<!DOCTYPE html>
<html>
<head>
<title>Error</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>An error occurred.</h1>
<p>Sorry, the page you are looking for is currently unavailable.<br/>
Please try again later.</p>
<p>If you are the system administrator of this resource then you should check
the error log for details.</p>
<p><em>Faithfully yours, nginx.</em></p>
</body>
</html>
`;

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 405: 'Not Allowed', 413: 'Request Entity Too Large',
  416: 'Requested Range Not Satisfiable', 500: 'Internal Server Error',
};

function main(): void {
  let args = process.argv.slice(2);
  let version = '1.29.1';
  if (args[0]?.startsWith(VERSION_FLAG)) {
    version = args[0].slice(VERSION_FLAG.length);
    args = args.slice(1);
  }
  const modern = versionAtLeast(version, [1, 21, 1]);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '-v' || a === '-V') {
      process.stderr.write(`nginx version: nginx/${version}\n`);
      process.exit(0);
    } else if (a === '-t' || a === '-T') {
      process.stderr.write('nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\nnginx: configuration file /etc/nginx/nginx.conf test is successful\n');
      process.exit(0);
    } else if (a === '-s') {
      process.stderr.write(`nginx: [error] invalid PID number "" in "/run/nginx.pid"\n`);
      process.exit(1);
    } else if (a === '-g' || a === '-c' || a === '-p' || a === '-e') {
      i++;
    } else if (a !== '-q') {
      process.stderr.write(`nginx: invalid option: "${a.replace(/^-/, '')}"\n`);
      process.exit(1);
    }
  }

  const pid = process.pid;
  const files: Record<string, string> = { '/index.html': modern ? INDEX_HTML : INDEX_HTML_OLD, '/50x.html': FIFTY_X_HTML };
  // The files' mtime in the image; fixed for the life of the container.
  const mtime = new Date(Math.floor(Date.now() / 1000) * 1000);
  const lastModified = mtime.toUTCString();
  const etagOf = (body: string) => `"${(mtime.getTime() / 1000).toString(16)}-${Buffer.byteLength(body).toString(16)}"`;

  const errorPage = (status: number) =>
    `<html>\r\n<head><title>${status} ${STATUS_TEXT[status]}</title></head>\r\n<body${modern ? '' : ' bgcolor="white"'}>\r\n` +
    `<center><h1>${status} ${STATUS_TEXT[status]}</h1></center>\r\n<hr><center>nginx/${version}</center>\r\n</body>\r\n</html>\r\n`;

  const log = (req: IncomingMessage, status: number, bytes: number) => {
    const h = req.headers;
    process.stdout.write(
      `${plainAddress(req.socket.remoteAddress)} - - [${nginxTimeLocal()}] "${req.method} ${req.url} HTTP/${req.httpVersion}" ${status} ${bytes} ` +
        `"${h.referer ?? '-'}" "${h['user-agent'] ?? '-'}" "${h['x-forwarded-for'] ?? '-'}"\n`,
    );
  };

  const send = (req: IncomingMessage, res: ServerResponse, status: number, headers: Record<string, string | number>, body: string) => {
    res.setHeader('Server', `nginx/${version}`);
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    if (res.shouldKeepAlive) res.setHeader('Connection', 'keep-alive');
    res.writeHead(status);
    const bytes = req.method === 'HEAD' ? 0 : Buffer.byteLength(body);
    res.end(req.method === 'HEAD' ? undefined : body);
    log(req, status, bytes);
  };

  const fail = (req: IncomingMessage, res: ServerResponse, status: number) => {
    const page = errorPage(status);
    send(req, res, status, { 'Content-Type': 'text/html', 'Content-Length': Buffer.byteLength(page) }, page);
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    const raw = (req.url ?? '/').split('?')[0];
    let path: string;
    try {
      path = decodeURIComponent(raw);
    } catch {
      fail(req, res, 400);
      return;
    }
    // merge_slashes, then . and .. segments; climbing above the root is a bad request.
    const segments: string[] = [];
    for (const seg of path.split('/').slice(1)) {
      if (seg === '' || seg === '.') continue;
      if (seg === '..') {
        if (segments.length === 0) {
          fail(req, res, 400);
          return;
        }
        segments.pop();
      } else segments.push(seg);
    }
    const trailing = path.endsWith('/') || path.endsWith('/.') || path.endsWith('/..');
    let file = `/${segments.join('/')}`;
    if (trailing || file === '/') file = `${file === '/' ? '' : file}/index.html`;
    const body = files[file];
    if (body === undefined) {
      const client = plainAddress(req.socket.remoteAddress);
      process.stderr.write(
        `${nginxLogTime()} [error] ${pid}#${pid}: *1 open() "/usr/share/nginx/html${file}" failed (2: No such file or directory), ` +
          `client: ${client}, server: localhost, request: "${req.method} ${req.url} HTTP/${req.httpVersion}", host: "${req.headers.host ?? ''}"\n`,
      );
      fail(req, res, 404);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      fail(req, res, 405);
      return;
    }
    const etag = etagOf(body);
    const headers: Record<string, string | number> = {
      'Content-Type': 'text/html',
      'Last-Modified': lastModified,
      ETag: etag,
      'Accept-Ranges': 'bytes',
    };
    const inm = req.headers['if-none-match'];
    const ims = req.headers['if-modified-since'];
    if ((inm !== undefined && (inm === '*' || inm.split(',').map((s) => s.trim()).includes(etag))) || (inm === undefined && ims === lastModified)) {
      delete headers['Content-Type'];
      delete headers['Accept-Ranges'];
      send(req, res, 304, headers, '');
      return;
    }
    const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
    const size = Buffer.byteLength(body);
    if (range && (range[1] !== '' || range[2] !== '')) {
      let start = range[1] === '' ? Math.max(0, size - Number(range[2])) : Number(range[1]);
      let end = range[1] === '' || range[2] === '' ? size - 1 : Math.min(Number(range[2]), size - 1);
      if (start >= size || start > end) {
        const page = errorPage(416);
        send(req, res, 416, { 'Content-Type': 'text/html', 'Content-Length': Buffer.byteLength(page), 'Content-Range': `bytes */${size}` }, page);
        return;
      }
      start = Math.max(0, start);
      end = Math.max(start, end);
      const part = Buffer.from(body).subarray(start, end + 1).toString();
      send(req, res, 206, { ...headers, 'Content-Length': end - start + 1, 'Content-Range': `bytes ${start}-${end}/${size}` }, part);
      return;
    }
    send(req, res, 200, { ...headers, 'Content-Length': size }, body);
  };

  const server = createServer({ keepAliveTimeout: 65_000 }, handle);
  const port = testPort() ?? 80;
  server.on('error', (err: NodeJS.ErrnoException) => {
    const why = err.code === 'EADDRINUSE' ? '98: Address already in use' : err.code === 'EACCES' ? '13: Permission denied' : err.message;
    process.stderr.write(`${nginxLogTime()} [emerg] ${pid}#${pid}: bind() to 0.0.0.0:${port} failed (${why})\nnginx: [emerg] bind() to 0.0.0.0:${port} failed (${why})\n`);
    process.exit(1);
  });
  // `listen 80;` plus the `listen [::]:80;` the image's entrypoint adds when IPv6 is there.
  server.listen(port, () => {
    const t = nginxLogTime();
    for (const line of [
      'using the "epoll" event method',
      `nginx/${version}`,
      'built by gcc 12.2.0 (Debian 12.2.0-14)',
      `OS: Linux ${release()}`,
      'getrlimit(RLIMIT_NOFILE): 1048576:1048576',
      'start worker processes',
      `start worker process ${pid}`,
    ]) {
      process.stderr.write(`${t} [notice] ${pid}#${pid}: ${line}\n`);
    }
  });
  const stop = (signal: string, num: number, how: string) => () => {
    process.stderr.write(`${nginxLogTime()} [notice] ${pid}#${pid}: signal ${num} (${signal}) received, ${how}\n`);
    process.exit(0);
  };
  process.on('SIGTERM', stop('SIGTERM', 15, 'exiting'));
  process.on('SIGINT', stop('SIGINT', 2, 'exiting'));
  process.on('SIGQUIT', stop('SIGQUIT', 3, 'shutting down'));
}

main();
