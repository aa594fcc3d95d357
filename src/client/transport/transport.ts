// How the API client's requests reach the API server: Node's own http/https. undici's Pool was
// the API client's stack before; its modules and llhttp WebAssembly cost each process about 9 MB
// and, at start, more CPU than listing and watching did (node agents ~200 ms each, cluster DNS
// and istiod ~150 ms each, a dozen of such processes start with a cluster), with no less CPU
// once running (40 pods created and deleted: the agents 5.20 s with undici, 4.78 s without).

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

/** Loaded on first use: a program that never reaches the API does not load http(s). */
export async function openTransport(endpoint: Endpoint): Promise<Transport> {
  return (await import('./node-http.js')).nodeHttpTransport(endpoint);
}
