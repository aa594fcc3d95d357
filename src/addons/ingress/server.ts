import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { CertificateStore } from './certificates.js';
import type { IngressProxy } from './proxy.js';

// The listeners of the controller pod: HTTP on 80 and HTTPS on 443 (certificate by SNI), both
// handing requests and upgrades to the same proxy. Client keep-alive lasts 75 s as
// ingress-nginx's keep-alive setting.

export interface ListenerOptions {
  host?: string;
  httpPort: number;
  httpsPort: number;
  proxy: IngressProxy;
  certificates: CertificateStore;
}

export interface Listeners {
  httpPort: number;
  httpsPort: number;
  /** Stops accepting; requests in flight finish. */
  close(): Promise<void>;
}

function listen(server: http.Server, port: number, host: string, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (e) => reject(new Error(`listening for ${what} on ${host}:${port}: ${e.message}`)));
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

function tune(server: http.Server): void {
  server.keepAliveTimeout = 75_000;
  server.headersTimeout = 60_000;
  // Long uploads and downloads are bounded by the proxy's own timeouts, not the server's.
  server.requestTimeout = 0;
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (socket.writable && err.code !== 'ECONNRESET') {
      socket.end('HTTP/1.1 400 Bad Request\r\nServer: nginx\r\nContent-Type: text/html\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    } else socket.destroy();
  });
}

export async function startListeners(o: ListenerOptions): Promise<Listeners> {
  const host = o.host ?? '0.0.0.0';
  const plain = http.createServer({ noDelay: true }, o.proxy.handleRequest);
  const secure = https.createServer(
    { noDelay: true, SNICallback: o.certificates.sniCallback, cert: o.certificates.defaultPair.cert, key: o.certificates.defaultPair.key },
    o.proxy.handleRequest,
  );
  for (const s of [plain, secure]) {
    tune(s);
    s.on('upgrade', o.proxy.handleUpgrade);
  }
  const httpPort = await listen(plain, o.httpPort, host, 'HTTP');
  let httpsPort: number;
  try {
    httpsPort = await listen(secure, o.httpsPort, host, 'HTTPS');
  } catch (e) {
    plain.close();
    throw e;
  }
  return {
    httpPort,
    httpsPort,
    async close() {
      const closed = [plain, secure].map((s) => new Promise<void>((r) => s.close(() => r())));
      for (const s of [plain, secure]) s.closeIdleConnections();
      await Promise.all(closed);
    },
  };
}
