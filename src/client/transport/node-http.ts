import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Endpoint, Transport, TransportRequest, TransportResponse } from './transport.js';

// The API client over Node's own http/https, connections kept alive between requests as
// client-go's transport keeps them.

async function readText(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function nodeHttpTransport(e: Endpoint): Transport {
  let target: RequestOptions;
  let tls = false;
  if (e.socketPath) {
    target = { socketPath: e.socketPath };
  } else if (e.baseUrl) {
    const url = new URL(e.baseUrl);
    tls = url.protocol === 'https:';
    target = { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: url.port || (tls ? 443 : 80) };
  } else {
    throw new Error('ApiClient needs a socketPath or a baseUrl');
  }
  const agent = tls ? new HttpsAgent({ keepAlive: true, ...(e.ca ? { ca: e.ca } : {}) }) : new HttpAgent({ keepAlive: true });
  const send = tls ? httpsRequest : httpRequest;
  return {
    request(r: TransportRequest): Promise<TransportResponse> {
      return new Promise((resolve, reject) => {
        const headers: Record<string, string | number> = { ...r.headers };
        if (r.body !== undefined) headers['content-length'] = Buffer.byteLength(r.body);
        const req = send({ ...target, agent, method: r.method, path: r.path, headers, signal: r.signal }, (res) => {
          resolve({ statusCode: res.statusCode ?? 0, body: res, text: () => readText(res) });
        });
        req.on('error', reject);
        req.end(r.body);
      });
    },
    async close() {
      agent.destroy();
    },
  };
}
