import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
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
 * A backend's TLS context and its last session, per CA bundle and server name. Every metrics
 * request of every HPA opens a new connection: with a context per connection each parsed the CA
 * again, and with no session each ran a full handshake: the memory 100 HPAs added to the control
 * plane went from 6.7 to 3.5 MB without that churn (bench/metrics.bench.ts).
 */
const backends = new Map<string, { context: SecureContext; session?: Buffer }>();

function backendTLS(r: BackendRequest): { context: SecureContext; session?: Buffer } {
  const key = `${r.serverName}\0${r.insecureSkipTLSVerify}\0${r.caBundle ?? ''}`;
  let b = backends.get(key);
  if (!b) {
    const ca = r.caBundle ? Buffer.from(r.caBundle, 'base64').toString('utf8') : undefined;
    b = { context: createSecureContext(ca ? { ca } : {}) };
    if (backends.size >= REMEMBERED_BACKENDS) backends.delete(backends.keys().next().value!);
    backends.set(key, b);
  }
  return b;
}

/** Sends a request over an established stream with TLS; the response streams back. */
export function requestOverTLS(stream: Duplex, r: BackendRequest, body?: NodeJS.ReadableStream): Promise<{ statusCode: number; headers: IncomingHttpHeaders; res: IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const tls = backendTLS(r);
    const socket = tlsConnect({ socket: stream, servername: r.serverName, rejectUnauthorized: !r.insecureSkipTLSVerify, secureContext: tls.context, session: tls.session });
    socket.on('session', (session: Buffer) => (tls.session = session));
    const headers: Record<string, string | string[]> = { host: r.serverName };
    for (const [k, v] of Object.entries(r.headers)) if (v !== undefined) headers[k] = v;
    const req = httpRequest({ method: r.method, path: r.path, headers, createConnection: () => socket, timeout: r.timeoutMs }, (res) =>
      resolve({ statusCode: res.statusCode ?? 502, headers: res.headers, res }),
    );
    req.on('timeout', () => req.destroy(new Error('context deadline exceeded')));
    req.on('error', reject);
    if (body) body.pipe(req);
    else req.end();
  });
}
