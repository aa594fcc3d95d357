import net, { type AddressInfo, type Socket } from 'node:net';
import tls from 'node:tls';
import type { CertificateStore } from '../proxy/certificates.js';
import { ClientConnection, NGINX_CLIENT_LIMITS } from '../proxy/http1/client-connection.js';
import { NGINX_DIALECT } from './policies/responses.js';
import type { IngressProxy } from './proxy.js';

// The listeners of the controller pod: HTTP on 80 and HTTPS on 443 (certificate by SNI), each
// connection run by the HTTP/1.1 engine in http1/ and its requests handed to the proxy.

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
  /** Stops accepting; requests in flight finish, idle connections close. */
  close(): Promise<void>;
}

function listen(server: net.Server, port: number, host: string, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (e) => reject(new Error(`listening for ${what} on ${host}:${port}: ${e.message}`)));
    server.listen({ port, host, backlog: 4096 }, () => resolve((server.address() as AddressInfo).port));
  });
}

export async function startListeners(o: ListenerOptions): Promise<Listeners> {
  const host = o.host ?? '0.0.0.0';
  const open = new Set<ClientConnection>();
  const serve = (socket: Socket, encrypted: boolean) => {
    socket.setNoDelay(true);
    const conn = new ClientConnection(socket, encrypted, NGINX_CLIENT_LIMITS, NGINX_DIALECT, o.proxy.handleRequest);
    open.add(conn);
    socket.once('close', () => open.delete(conn));
  };
  // Half-open, so that the engine decides what a client's FIN means: the end of an idle
  // connection, or (as nginx's 499) a client that gave up on its request.
  const plain = net.createServer({ allowHalfOpen: true }, (s) => serve(s, false));
  // TLS is set up for the first HTTPS client, which may have to wait for the default certificate
  // (made off the start path, see CertificateStore): the port accepts from the start, and its
  // connections go to the TLS server once that exists, with what they sent so far.
  let tlsServer: tls.Server | undefined;
  const tlsServerReady = async (): Promise<tls.Server> => {
    const pair = await o.certificates.defaultPair();
    if (!tlsServer) {
      tlsServer = tls.createServer({ allowHalfOpen: true, SNICallback: o.certificates.sniCallback, cert: pair.cert, key: pair.key, ALPNProtocols: ['http/1.1'] }, (s) => serve(s, true));
      tlsServer.on('tlsClientError', (_e, s) => s.destroy());
    }
    return tlsServer;
  };
  // The accepted socket is not half-open: a client that closes during the handshake (a port
  // probe's connect and close, a client that gives up) ends it at once, where a half-open one
  // waited for the TLS server's 120 s handshake timeout. The TLS socket made over it is.
  const secure = net.createServer({ allowHalfOpen: false }, (socket) => {
    if (tlsServer) return void tlsServer.emit('connection', socket);
    socket.on('error', () => socket.destroy());
    tlsServerReady().then(
      (server) => {
        if (!socket.destroyed) server.emit('connection', socket);
      },
      () => socket.destroy(),
    );
  });
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
      for (const c of open) c.shutdown();
      await Promise.all(closed);
    },
  };
}
