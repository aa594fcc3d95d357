// registry.k8s.io/hpa-example: Apache + PHP on port 80 whose index.php adds up square roots a
// million times and prints "OK!". Every path answers the same way (the scenarios route /api to it).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { networkInterfaces } from 'node:os';
import { burnCpu, nginxTimeLocal, plainAddress, testPort } from './common.js';

/**
 * CPU time one request costs: what PHP 5's interpreter spends on the 1e6-iteration sqrt loop.
 * Measured as process CPU time, not wall time, so a CPU quota stretches it as it would PHP.
 */
const BURN_CPU_MICROS = 40_000;
const SERVER = 'Apache/2.4.10 (Debian)';

function apacheTime(d = new Date()): string {
  // [Wed Oct 11 14:32:52.123456 2000]
  const s = d.toUTCString(); // Wed, 11 Oct 2000 14:32:52 GMT
  const [wd, day, mon, year, time] = s.replace(',', '').split(' ');
  return `${wd} ${mon} ${day} ${time}.${String(d.getUTCMilliseconds() * 1000).padStart(6, '0')} ${year}`;
}

function podAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  req.on('end', () => {
    burnCpu(BURN_CPU_MICROS);
    const body = 'OK!';
    res.setHeader('Server', SERVER);
    res.setHeader('Content-Length', body.length);
    res.setHeader('Content-Type', 'text/html; charset=UTF-8');
    if (res.shouldKeepAlive) {
      res.setHeader('Keep-Alive', 'timeout=5, max=100');
      res.setHeader('Connection', 'Keep-Alive');
    }
    res.writeHead(200);
    res.end(req.method === 'HEAD' ? undefined : body);
    process.stdout.write(
      `${plainAddress(req.socket.remoteAddress)} - - [${nginxTimeLocal()}] "${req.method} ${req.url} HTTP/${req.httpVersion}" 200 ${body.length} ` +
        `"${req.headers.referer ?? '-'}" "${req.headers['user-agent'] ?? '-'}"\n`,
    );
  });
}

function main(): void {
  const port = testPort() ?? 80;
  const server = createServer({ keepAliveTimeout: 5000 }, handle);
  server.on('error', (err: NodeJS.ErrnoException) => {
    process.stderr.write(`(98)Address already in use: AH00072: make_sock: could not bind to address [::]:${port}\n`);
    process.stderr.write(`no listening sockets available, shutting down\nAH00015: Unable to open logs\n`);
    void err;
    process.exit(1);
  });
  server.listen(port, () => {
    const fqdn = `AH00558: apache2: Could not reliably determine the server's fully qualified domain name, using ${podAddress()}. Set the 'ServerName' directive globally to suppress this message\n`;
    process.stderr.write(fqdn + fqdn);
    process.stderr.write(`[${apacheTime()}] [mpm_prefork:notice] [pid ${process.pid}] AH00163: ${SERVER} configured -- resuming normal operations\n`);
    process.stderr.write(`[${apacheTime()}] [core:notice] [pid ${process.pid}] AH00094: Command line: 'apache2 -D FOREGROUND'\n`);
  });
  // apache2 -D FOREGROUND: SIGTERM is a graceless stop; SIGWINCH a graceful one.
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGWINCH'] as const) {
    process.on(sig, () => {
      process.stderr.write(`[${apacheTime()}] [mpm_prefork:notice] [pid ${process.pid}] AH00169: caught SIGTERM, shutting down\n`);
      process.exit(0);
    });
  }
}

main();
