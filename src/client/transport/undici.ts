import { Pool } from './undici-pool.js';
import type { Endpoint, Transport, TransportRequest, TransportResponse } from './transport.js';

// The API client's default transport: one undici Pool per API server.

export function undiciTransport(e: Endpoint): Transport {
  let pool: InstanceType<typeof Pool>;
  if (e.socketPath) {
    // The host part is only used for the Host header; the socket decides where we connect.
    pool = new Pool('http://localhost', { connect: { socketPath: e.socketPath } });
  } else if (e.baseUrl) {
    pool = new Pool(e.baseUrl, { connect: e.ca ? { ca: e.ca } : {} });
  } else {
    throw new Error('ApiClient needs a socketPath or a baseUrl');
  }
  return {
    async request(r: TransportRequest): Promise<TransportResponse> {
      const res = await pool.request({
        method: r.method as 'GET',
        path: r.path,
        headers: r.headers,
        body: r.body,
        signal: r.signal,
        ...(r.stream ? { bodyTimeout: 0 } : {}),
      });
      return { statusCode: res.statusCode, body: res.body, text: () => res.body.text() };
    },
    close: () => pool.close(),
  };
}
