import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { join } from 'node:path';
import { type ApiError, apiError } from '../api/errors.js';

// pods/{log,exec,attach,portforward} are served by the kubelet of the pod's node, as upstream's
// apiserver proxies them to the kubelet's port 10250. Here each node agent listens on a unix
// socket in the cluster directory, which reaches into the node's network namespace.

export function kubeletSocket(nodesDir: string, node: string): string {
  return join(nodesDir, node, 'kubelet.sock');
}

function unreachable(node: string, err: Error): ApiError {
  return apiError(502, 'InternalError', `error dialing the kubelet of node "${node}": ${err.message}`);
}

/** Streams a plain (non-upgrade) kubelet response, such as logs with follow, back to the client. */
export function proxyRequest(nodesDir: string, node: string, path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  return new Promise((resolve, reject) => {
    const out = httpRequest({ socketPath: kubeletSocket(nodesDir, node), path, method: req.method, headers: { accept: req.headers.accept ?? '*/*' } }, (kres) => {
      const code = kres.statusCode ?? 502;
      if (code >= 400) {
        // The kubelet answers errors in plain text; clients expect a Status from the apiserver.
        const chunks: Buffer[] = [];
        kres.on('data', (c: Buffer) => chunks.push(c));
        kres.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8').trim();
          let message = text;
          try {
            const parsed = JSON.parse(text) as { kind?: string; message?: string };
            if (parsed.kind === 'Status' && parsed.message) message = parsed.message;
          } catch {
            // Plain text, as upstream's kubelet writes it.
          }
          reject(apiError(code, code === 404 ? 'NotFound' : code >= 500 ? 'InternalError' : 'BadRequest', message));
        });
        return;
      }
      res.writeHead(code, {
        'Content-Type': kres.headers['content-type'] ?? 'text/plain',
        'Cache-Control': 'no-cache, private',
      });
      res.flushHeaders();
      kres.pipe(res);
      kres.on('end', resolve);
      kres.on('error', resolve);
    });
    out.on('error', (e) => reject(unreachable(node, e)));
    // A client that leaves (kubectl logs -f interrupted) ends the kubelet stream too.
    res.on('close', () => out.destroy());
    out.end();
  });
}

/**
 * Passes an upgrade (WebSocket or SPDY) through to the kubelet unchanged, then splices the
 * sockets: the kubelet's answer (101, or an error kubectl reports as "unable to upgrade
 * connection: …") and every byte after it flow back as they are, and the client's bytes go on.
 * Either side ending or failing ends both.
 */
export function proxyUpgrade(nodesDir: string, node: string, path: string, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const k = connect(kubeletSocket(nodesDir, node));
  let spliced = false;
  const end = () => {
    k.destroy();
    socket.destroy();
  };
  k.on('error', (e) => {
    // Before the splice the client still waits for an HTTP answer; after it, only closing is left.
    if (!spliced) writeStatus(socket, unreachable(node, e));
    else end();
  });
  socket.on('error', end);
  socket.on('close', end);
  k.once('connect', () => {
    if (socket.destroyed) return end();
    spliced = true;
    const lines = [`${req.method} ${path} HTTP/1.1`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      if (req.rawHeaders[i].toLowerCase() === 'authorization') continue;
      lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    }
    k.write(lines.join('\r\n') + '\r\n\r\n');
    if (head.length) k.write(head);
    k.pipe(socket);
    socket.pipe(k);
    k.on('close', end);
  });
}

/** An error answer on a raw socket (an upgrade request has no ServerResponse). */
export function writeStatus(socket: Duplex, e: ApiError): void {
  if (socket.destroyed) return;
  const body = JSON.stringify(e.toStatus());
  const reason = e.code === 400 ? 'Bad Request' : e.code === 401 ? 'Unauthorized' : e.code === 404 ? 'Not Found' : 'Error';
  socket.end(`HTTP/1.1 ${e.code} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
