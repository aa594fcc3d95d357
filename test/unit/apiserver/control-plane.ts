import { after, before } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane } from '../../../src/apiserver/server.js';
import { generateClusterCertificates } from '../../../src/cli/certificates.js';
import { ensureGenerated } from '../api/openapi/helpers.js';

export const TOKEN = 'admin-token';

export interface TestControlPlane {
  /** The API server's unix socket, set once the suite's `before` has run. */
  socketPath: string;
  /** A request with the admin token; the answer's status and body text. */
  send(method: string, path: string, body?: unknown, contentType?: string): Promise<{ code: number; text: string }>;
}

/** A real API server on a unix socket for the suite of the calling file, removed after it. */
export function useControlPlane(name: string): TestControlPlane {
  let dir = '';
  let cp: Awaited<ReturnType<typeof startControlPlane>>;
  const tcp: TestControlPlane = {
    socketPath: '',
    send(method, path, body, contentType = 'application/json') {
      return new Promise((resolve, reject) => {
        const data = body === undefined ? undefined : JSON.stringify(body);
        const headers = { authorization: `Bearer ${TOKEN}`, ...(data ? { 'content-type': contentType, 'content-length': String(Buffer.byteLength(data)) } : {}) };
        const req = request({ socketPath: tcp.socketPath, method, path, headers }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString('utf8')));
          res.on('end', () => resolve({ code: res.statusCode ?? 0, text }));
        });
        req.on('error', reject);
        req.end(data);
      });
    },
  };
  before(async () => {
    ensureGenerated();
    dir = mkdtempSync(join(tmpdir(), `skiff-${name}-`));
    tcp.socketPath = join(dir, 'api.sock');
    const certs = await generateClusterCertificates();
    cp = await startControlPlane({ stateDir: join(dir, 'state'), host: '127.0.0.1', port: 0, cert: certs.serverCert, key: certs.serverKey, tokens: [TOKEN], socketPath: tcp.socketPath, clusterName: name, requestTimeoutMs: 5000 });
  });
  after(async () => {
    await cp.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return tcp;
}
