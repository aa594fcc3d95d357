import { Agent, request as httpRequest, type ClientRequestArgs, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, createSecureContext, type SecureContext } from 'node:tls';
import type { KObject } from '../api/types.js';
import type { EndpointSlice, Service } from './resources.js';

// How the control plane reaches an APIService's backend: kube-aggregator's endpoint routing
// (--enable-aggregator-routing) picks a ready endpoint of the Service, and the connection goes
// through a CONNECT tunnel of that endpoint's node agent, since pod addresses are routed only
// inside the nodes' network namespaces. TLS then runs end to end with the backend.

export interface ServiceRef {
  namespace?: string;
  name?: string;
  port?: number;
}

export interface ServiceEndpoint {
  ip: string;
  port: number;
  node?: string;
}

/** Why a Service has no endpoint to send to: the Available condition's reason and message (available_controller.go). */
export interface Unresolvable {
  reason: 'ServiceNotFound' | 'ServicePortError' | 'EndpointsNotFound' | 'MissingEndpoints';
  message: string;
}

/**
 * A ready endpoint of the Service's port (default 443), or why there is none. The Service and
 * its EndpointSlices are objects as the API served them (listers' KObjects).
 */
export function resolveServiceEndpoint(ref: ServiceRef, service: KObject | undefined, slices: KObject[]): ServiceEndpoint | Unresolvable {
  const where = `service/${ref.name} in "${ref.namespace}"`;
  if (!service) return { reason: 'ServiceNotFound', message: `${where} is not present` };
  const want = ref.port ?? 443;
  const sp = ((service as Service).spec?.ports ?? []).find((p) => p.port === want);
  if (!sp) return { reason: 'ServicePortError', message: `${where} is not listening on port ${want}` };
  if (slices.length === 0) return { reason: 'EndpointsNotFound', message: `cannot find endpoints for ${where}` };
  for (const slice of slices as EndpointSlice[]) {
    const port = (slice.ports ?? []).find((p) => (p.name ?? '') === (sp.name ?? ''));
    if (!port?.port) continue;
    for (const ep of slice.endpoints ?? []) {
      if (ep.conditions?.ready === false || !ep.addresses?.[0]) continue;
      return { ip: ep.addresses[0], port: port.port, node: ep.nodeName };
    }
  }
  return { reason: 'MissingEndpoints', message: `endpoints for ${where} have no addresses with port name "${sp.name ?? ''}"` };
}

/** A TCP stream to a pod address through the node agent's kubelet.sock (`CONNECT ip:port`). */
export function dialThroughKubelet(nodesDir: string, node: string, ip: string, port: number, timeoutMs: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ socketPath: join(nodesDir, node, 'kubelet.sock'), method: 'CONNECT', path: `${ip}:${port}`, timeout: timeoutMs });
    req.on('connect', (res: IncomingMessage, socket: Duplex) => {
      if (res.statusCode === 200) return resolve(socket);
      socket.destroy();
      reject(new Error(`dial tcp ${ip}:${port}: the node agent of ${node} answered ${res.statusCode}`));
    });
    req.on('timeout', () => req.destroy(new Error(`dial tcp ${ip}:${port}: i/o timeout`)));
    req.on('error', (e) => reject(new Error(`dial tcp ${ip}:${port}: ${e.message}`)));
    req.end();
  });
}

export interface BackendRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** The APIService's TLS settings. */
  insecureSkipTLSVerify: boolean;
  caBundle?: string;
  serverName: string;
  timeoutMs: number;
}

/** Backends whose TLS settings are remembered; APIServices are few, so this only bounds a churn of CA bundles. */
const REMEMBERED_BACKENDS = 16;

/**
 * A backend's TLS context and its last session, per CA bundle and server name. A context per
 * connection parsed the CA again each time, and without a session each connection ran a full
 * handshake: with a connection per HPA metrics request, the memory 100 HPAs added to the control
 * plane went from 6.7 to 3.5 MB without that churn (bench/metrics.bench.ts).
 */
const backends = new Map<string, { context: SecureContext; session?: Buffer }>();

/** A backend as its TLS settings name it. */
function backendKey(r: BackendRequest): string {
  return `${r.serverName}\0${r.insecureSkipTLSVerify}\0${r.caBundle ?? ''}`;
}

function backendTLS(r: BackendRequest): { context: SecureContext; session?: Buffer } {
  const key = backendKey(r);
  let b = backends.get(key);
  if (!b) {
    const ca = r.caBundle ? Buffer.from(r.caBundle, 'base64').toString('utf8') : undefined;
    b = { context: createSecureContext(ca ? { ca } : {}) };
    if (backends.size >= REMEMBERED_BACKENDS) backends.delete(backends.keys().next().value!);
    backends.set(key, b);
  }
  return b;
}

/** TLS over an established stream to the backend, with the remembered context and session. */
function secureOver(stream: Duplex, r: BackendRequest): Duplex {
  const tls = backendTLS(r);
  const socket = tlsConnect({ socket: stream, servername: r.serverName, rejectUnauthorized: !r.insecureSkipTLSVerify, secureContext: tls.context, session: tls.session });
  socket.on('session', (session: Buffer) => (tls.session = session));
  return socket;
}

export interface BackendResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  res: IncomingMessage;
}

/** Why a request failed, and whether it met a kept-alive connection that the backend had closed meanwhile. */
class RequestError extends Error {
  readonly closedByBackend: boolean;

  constructor(
    readonly error: NodeJS.ErrnoException,
    reusedSocket: boolean,
  ) {
    super(error.message);
    this.closedByBackend = reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE');
  }
}

function send(r: BackendRequest, transport: Pick<ClientRequestArgs, 'agent' | 'createConnection'>, body?: NodeJS.ReadableStream): Promise<BackendResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | string[]> = { host: r.serverName };
    for (const [k, v] of Object.entries(r.headers)) if (v !== undefined) headers[k] = v;
    const req = httpRequest({ method: r.method, path: r.path, headers, timeout: r.timeoutMs, ...transport }, (res) =>
      resolve({ statusCode: res.statusCode ?? 502, headers: res.headers, res }),
    );
    req.on('timeout', () => req.destroy(new Error('context deadline exceeded')));
    req.on('error', (e) => reject(new RequestError(e, req.reusedSocket)));
    if (body) body.pipe(req);
    else req.end();
  });
}

/** Sends a request over an established stream with TLS (a connection of its own); the response streams back. */
export async function requestOverTLS(stream: Duplex, r: BackendRequest, body?: NodeJS.ReadableStream): Promise<BackendResponse> {
  const socket = secureOver(stream, r);
  try {
    return await send(r, { createConnection: () => socket }, body);
  } catch (e) {
    throw (e as RequestError).error;
  }
}

/**
 * How long an idle connection to a backend is kept: Go's http.DefaultTransport IdleConnTimeout,
 * which the backend's generic API server matches with its IdleTimeout.
 */
const BACKEND_IDLE_MS = 90_000;
/** Idle connections kept per backend: a burst of requests does not leave its connections open. */
const IDLE_CONNECTIONS = 2;

/** Opens a stream to an endpoint (through its node agent in the cluster), bounded by its own dial timeout. */
export type Dial = (ep: ServiceEndpoint) => Promise<Duplex>;

/** A keep-alive pool of TLS connections to one endpoint, each over a stream that dial opens. */
class EndpointAgent extends Agent {
  constructor(
    private readonly dial: () => Promise<Duplex>,
    private readonly r: BackendRequest,
  ) {
    super({ keepAlive: true, timeout: BACKEND_IDLE_MS, maxFreeSockets: IDLE_CONNECTIONS });
  }

  override createConnection(_options: ClientRequestArgs, done: (err: Error | null, socket: Duplex) => void): undefined {
    this.dial().then(
      (stream) => done(null, secureOver(stream, this.r)),
      (e: Error) => done(e, undefined as unknown as Duplex),
    );
    return undefined;
  }
}

/**
 * kube-aggregator's proxy transport: connections to each APIService backend are kept open and
 * reused, so that each proxied request (an HPA's metrics every sync) does not open a tunnel and a
 * TLS connection of its own. One pool per backend, replaced when the Service's endpoint moves.
 */
export class BackendConnections {
  private pools = new Map<string, { endpoint: string; agent: EndpointAgent }>();

  constructor(private readonly dial: Dial) {}

  /** Sends r to ep on a kept connection; a GET that met a connection the backend had just closed is sent once more, as Go's transport retries it. */
  async request(ep: ServiceEndpoint, r: BackendRequest, body?: NodeJS.ReadableStream): Promise<BackendResponse> {
    const agent = this.agent(ep, r);
    try {
      return await send(r, { agent }, body);
    } catch (e) {
      const err = e as RequestError;
      if (!err.closedByBackend || body) throw err.error;
      try {
        return await send(r, { agent }, body);
      } catch (again) {
        throw (again as RequestError).error;
      }
    }
  }

  private agent(ep: ServiceEndpoint, r: BackendRequest): EndpointAgent {
    const key = backendKey(r);
    const endpoint = `${ep.node ?? ''}/${ep.ip}:${ep.port}`;
    const pool = this.pools.get(key);
    if (pool?.endpoint === endpoint) return pool.agent;
    pool?.agent.destroy();
    if (!pool && this.pools.size >= REMEMBERED_BACKENDS) this.forget(this.pools.keys().next().value!);
    const agent = new EndpointAgent(() => this.dial(ep), r);
    this.pools.set(key, { endpoint, agent });
    return agent;
  }

  private forget(key: string): void {
    this.pools.get(key)?.agent.destroy();
    this.pools.delete(key);
  }

  /** Closes every kept connection. */
  close(): void {
    for (const key of [...this.pools.keys()]) this.forget(key);
  }
}
