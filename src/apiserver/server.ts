import { createServer as createHttpsServer } from 'node:https';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Duplex } from 'node:stream';
import { Registry } from '../api/registry.js';
import { openapiDocument, openapiRoot } from '../api/openapi/index.js';
import { Store } from '../storage/store.js';
import { Aggregator } from './aggregator.js';
import { AGGREGATED_V2, AGGREGATED_V2BETA1, Discovery } from './discovery.js';
import { closeAfterResponse, drain, sendError, sendJSON } from './http.js';
import { isLongRunning, REQUEST_TIMEOUT_MS, requestTimedOut } from './timeout.js';
import { Objects } from './objects.js';
import { sendOpenapiV2 } from './openapi-v2.js';
import { isSelfReviewPath, serveSelfReview } from './authorization.js';
import { ADMIN_USER, Authenticator, isSelfSubjectReviewPath, serveSelfSubjectReview, userOf, type UserInfo } from './authentication.js';
import { generateSigningKey, TokenSigner } from './serviceaccount/jwt.js';
import { createToken } from './serviceaccount/token-request.js';
import { writeStatus } from './kubelet-proxy.js';
import { parseResourcePath } from './request-info.js';
import { ResourceHandler } from './resources.js';
import { ApiError, errors } from '../api/errors.js';
import { bootstrap, type ApiEndpoint } from './bootstrap.js';
import { log } from '../log.js';
import { API_TLS_SOCKET_NAME } from '../cluster/constants.js';

export interface ControlPlaneOptions {
  stateDir: string;
  host: string;
  port: number;
  cert: string;
  key: string;
  tokens: string[];
  socketPath: string;
  /**
   * The same HTTPS handler on a unix socket, which the node agents relay into their namespaces
   * for pods. Default: api-tls.sock beside socketPath.
   */
  tlsSocketPath?: string;
  /**
   * The address the `kubernetes` Service's endpoints name (where pods reach the API). Default:
   * the HTTPS listen address.
   */
  podAPIEndpoint?: ApiEndpoint;
  clusterName: string;
  /** Where each node agent's kubelet.sock lives (`<nodesDir>/<node>/kubelet.sock`); defaults beside stateDir. */
  nodesDir?: string;
  /**
   * The PEM key that signs ServiceAccount tokens (kube-apiserver's --service-account-signing-key-file).
   * Default: a key made for this process, so tokens do not outlive it.
   */
  serviceAccountKey?: string;
  /** The limit on requests that are not long-running (kube-apiserver's --request-timeout, 60 s). */
  requestTimeoutMs?: number;
  /** The kinds served. Default: every kind in api/kinds.ts, with its strategy. */
  registry?: Registry;
}

export const SERVER_VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0+skiff',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-11-24T00:00:00Z',
  goVersion: 'go1.23.0',
  compiler: 'gc',
  platform: 'linux/amd64',
};

/** Which discovery document an Accept header asks for (kubectl lists v2, then v2beta1, then plain JSON). */
export function discoveryFormat(accept: string | undefined): 'v2' | 'v2beta1' | 'legacy' {
  for (const part of (accept ?? '').split(',')) {
    const params = new Map(
      part
        .split(';')
        .slice(1)
        .map((p) => p.trim().split('=') as [string, string]),
    );
    if (params.get('g') === 'apidiscovery.k8s.io' && params.get('as') === 'APIGroupDiscoveryList') {
      const v = params.get('v');
      if (v === 'v2' || v === 'v2beta1') return v;
    }
  }
  return 'legacy';
}

export class ApiServer {
  readonly store: Store;
  readonly objects: Objects;
  private discovery: Discovery;
  private resources: ResourceHandler;
  private aggregator: Aggregator;
  readonly authn: Authenticator;

  constructor(
    stateDir: string,
    tokens: string[],
    private address: string,
    nodesDir: string = join(dirname(stateDir), 'nodes'),
    podAPIEndpoint?: ApiEndpoint,
    serviceAccountKey: string = generateSigningKey(),
    readonly reg: Registry = new Registry(),
  ) {
    this.store = Store.open(stateDir);
    this.objects = new Objects(this.store, this.reg);
    this.discovery = new Discovery(this.reg);
    this.aggregator = new Aggregator(this.objects, nodesDir);
    const lookup = (resource: string, ns: string, name: string) => {
      const e = this.store.get(resource, ns, name);
      return e ? this.objects.parse(e) : undefined;
    };
    this.authn = new Authenticator(new TokenSigner(serviceAccountKey), lookup, undefined, (why) => log('debug', 'bearer token rejected', { reason: why }));
    this.resources = new ResourceHandler(this.objects, nodesDir, {
      '/serviceaccounts/token': (ctx) => createToken(ctx, this.objects, this.authn.signer, this.authn.audiences),
    });
    for (const t of tokens) this.authn.addStaticToken(t, ADMIN_USER);
    bootstrap(this.objects, this.address, podAPIEndpoint);
  }

  /** Another static token (the controller manager's, made per process), for `user`. */
  addToken(t: string, user: UserInfo = ADMIN_USER): void {
    this.authn.addStaticToken(t, user);
  }

  private authenticated(req: IncomingMessage): boolean {
    return this.authn.authenticate(req) !== undefined;
  }

  /** kube-apiserver's --request-timeout: how long a request that is not long-running may take. */
  requestTimeoutMs = REQUEST_TIMEOUT_MS;

  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    if (!isLongRunning(req)) {
      const timer = setTimeout(() => requestTimedOut(res), this.requestTimeoutMs);
      res.on('close', () => clearTimeout(timer));
    }
    this.route(req, res).catch(async (e) => {
      if (res.headersSent) return;
      if (!(e instanceof ApiError)) log('error', 'request failed', { method: req.method, url: req.url, user: userOf(req)?.username, error: String((e as Error)?.stack ?? e) });
      if (!closeAfterResponse.has(req)) await drain(req);
      sendError(res, e);
    });
  };

  /** Upgrade requests (exec, attach, portforward) are spliced through to the pod's kubelet. */
  readonly handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    try {
      if (!this.authenticated(req)) throw errors.unauthorized();
      const url = new URL(req.url ?? '/', 'http://x');
      const info = parseResourcePath(url.pathname);
      const def = info && this.reg.resource(info.group, info.version, info.plural);
      if (!info || !def) throw errors.notFoundPath();
      this.resources.upgrade(def, info, url.searchParams, req, socket, head);
    } catch (e) {
      writeStatus(socket, e instanceof ApiError ? e : errors.internal(String((e as Error)?.message ?? e)));
    }
  };

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://x');
    } catch {
      throw errors.badRequest('malformed request URL');
    }
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
    if (path === '/healthz' || path === '/livez' || path === '/readyz') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' }).end('ok');
      return;
    }
    // Upstream's system:public-info-viewer role lets anonymous clients read the version too.
    if (path === '/version') return sendJSON(res, 200, SERVER_VERSION);
    if (!this.authenticated(req)) throw errors.unauthorized();
    const method = req.method ?? 'GET';
    if (path === '/api' || path === '/apis') {
      const core = path === '/api';
      const fmt = discoveryFormat(req.headers.accept);
      const withRemote = async (local: string) => (core ? local : this.aggregator.aggregated(local));
      if (fmt === 'v2') return sendJSON(res, 200, await withRemote(this.discovery.aggregated(core, 'v2')), AGGREGATED_V2);
      if (fmt === 'v2beta1') return sendJSON(res, 200, await withRemote(this.discovery.aggregated(core, 'v2beta1')), AGGREGATED_V2BETA1);
      return sendJSON(res, 200, core ? this.discovery.apiVersions(this.address) : this.aggregator.groupList(this.discovery.apiGroupList()));
    }
    if (isSelfReviewPath(path)) return serveSelfReview(req, res, path);
    if (isSelfSubjectReviewPath(path)) return serveSelfSubjectReview(req, res, path);
    if (path === '/openapi/v2' && method === 'GET') return sendOpenapiV2(res, req.headers.accept, SERVER_VERSION.gitVersion);
    if (path === '/openapi/v3') return sendJSON(res, 200, openapiRoot());
    if (path.startsWith('/openapi/v3/')) {
      const doc = openapiDocument(path.slice('/openapi/v3/'.length));
      if (!doc) throw errors.notFoundPath();
      // A URL carrying the current hash names an immutable document, so clients may cache it.
      const cache = url.searchParams.get('hash') === doc.hash ? 'public, immutable' : 'no-cache, private';
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': doc.body.length, Etag: `"${doc.hash}"`, 'Cache-Control': cache });
      res.end(doc.body);
      return;
    }
    if (await this.aggregator.serve(path, req, res)) return;
    const seg = path.split('/').filter(Boolean);
    if (method === 'GET' && seg[0] === 'api' && seg.length === 2) {
      const rl = this.discovery.resourceList('', seg[1]);
      if (rl) return sendJSON(res, 200, rl);
    }
    if (method === 'GET' && seg[0] === 'apis' && seg.length === 2) {
      const g = this.discovery.group(seg[1]);
      if (g) return sendJSON(res, 200, g);
    }
    if (method === 'GET' && seg[0] === 'apis' && seg.length === 3) {
      const rl = this.discovery.resourceList(seg[1], seg[2]);
      if (rl) return sendJSON(res, 200, rl);
    }
    const info = parseResourcePath(path);
    if (!info) throw errors.notFoundPath();
    const def = this.reg.resource(info.group, info.version, info.plural);
    if (!def) throw errors.notFoundPath();
    if (!def.namespaced && info.namespace !== undefined) throw errors.notFoundPath();
    await this.resources.handle({ def, info, query: url.searchParams, req, res });
  }

  close(): void {
    this.aggregator.close();
    this.store.close();
  }
}

function listen(server: Server, ...args: unknown[]): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    (server.listen as (...a: unknown[]) => void)(...args, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Starts the API server on HTTPS, on its HTTPS unix socket and on the node socket. The
 * controllers and the scheduler are API clients that the `serve` command starts beside it.
 */
export async function startControlPlane(o: ControlPlaneOptions): Promise<{ close(): Promise<void>; api: ApiServer }> {
  const api = new ApiServer(o.stateDir, o.tokens, `${o.host}:${o.port}`, o.nodesDir, o.podAPIEndpoint, o.serviceAccountKey, o.registry);
  if (o.requestTimeoutMs !== undefined) api.requestTimeoutMs = o.requestTimeoutMs;
  const tlsSocketPath = o.tlsSocketPath ?? join(dirname(o.socketPath), API_TLS_SOCKET_NAME);
  const https = createHttpsServer({ cert: o.cert, key: o.key }, api.handle);
  // A second server rather than the first one's 'connection' event: each closes on its own.
  const httpsRelayed = createHttpsServer({ cert: o.cert, key: o.key }, api.handle);
  const local = createHttpServer(api.handle);
  const servers = [https as unknown as Server, httpsRelayed as unknown as Server, local];
  for (const s of servers) {
    s.requestTimeout = 0; // watches and log streams are long-lived
    s.headersTimeout = 60_000;
    s.on('upgrade', api.handleUpgrade);
  }
  rmSync(o.socketPath, { force: true });
  rmSync(tlsSocketPath, { force: true });
  await listen(https as unknown as Server, o.port, o.host);
  await listen(httpsRelayed as unknown as Server, tlsSocketPath);
  await listen(local, o.socketPath);

  return {
    api,
    async close() {
      const closing = servers.map((s) => new Promise<void>((r) => s.close(() => r())));
      for (const s of servers) s.closeAllConnections();
      await Promise.all(closing);
      rmSync(o.socketPath, { force: true });
      rmSync(tlsSocketPath, { force: true });
      api.close();
    },
  };
}
