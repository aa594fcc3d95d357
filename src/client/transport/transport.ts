// How the API client's requests reach the API server: one interface, two HTTP stacks. undici is
// the faster one and the default; Node's own http/https adds nothing to load, which matters for
// an add-on whose whole memory is a budget (undici's modules and its llhttp WebAssembly cost a
// process about 9 MB, more than metrics-server's own work).

/** Where the API server is: its unix socket (plain HTTP), or an http(s) URL and the CA that signs it. */
export interface Endpoint {
  socketPath?: string;
  baseUrl?: string;
  ca?: string;
}

export interface TransportRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  /** A watch: the body may stay idle for as long as the server keeps it open. */
  stream?: boolean;
}

export interface TransportResponse {
  statusCode: number;
  body: AsyncIterable<Uint8Array>;
  text(): Promise<string>;
}

export interface Transport {
  request(r: TransportRequest): Promise<TransportResponse>;
  close(): Promise<void>;
}

export type TransportKind = 'undici' | 'node';

/** The transport's module is loaded on first use, so a program carries only the stack it uses. */
export async function openTransport(kind: TransportKind, endpoint: Endpoint): Promise<Transport> {
  if (kind === 'node') return (await import('./node-http.js')).nodeHttpTransport(endpoint);
  return (await import('./undici.js')).undiciTransport(endpoint);
}
