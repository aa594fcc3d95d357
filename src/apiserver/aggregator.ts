import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KObject } from '../api/types.js';
import { BackendConnections, dialThroughKubelet, resolveServiceEndpoint, type ServiceRef } from '../client/service-dial.js';
import { log } from '../log.js';
import { userOf } from './authentication.js';
import type { Objects } from './objects.js';

// kube-aggregator's proxy and discovery: a group/version registered by an APIService with a
// Service is answered by that Service's backend. Requests under /apis/<group>/<version> are
// proxied (only while the APIService is Available, as upstream); /apis lists the group, and the
// aggregated discovery document carries the resources the backend publishes, fetched from it and
// kept for a minute. The backend learns the user from X-Remote-User/X-Remote-Group. Connections
// to the backends are kept open between requests (client/service-dial's BackendConnections).

const APISERVICES = 'apiregistration.k8s.io/apiservices';
/** How long a backend's resource list is used before it is fetched again. */
const DISCOVERY_TTL_MS = 60_000;
/** Upstream's discovery fetch and proxy limits. */
const DISCOVERY_TIMEOUT_MS = 5_000;
const PROXY_TIMEOUT_MS = 60_000;
/** How long opening a tunnel to a backend may take. */
const DIAL_TIMEOUT_MS = 30_000;

interface APIServiceSpec {
  group?: string;
  version?: string;
  service?: ServiceRef | null;
  insecureSkipTLSVerify?: boolean;
  caBundle?: string;
}

interface ResourceEntry {
  name: string;
  singularName?: string;
  namespaced: boolean;
  kind: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
}

function specOf(a: KObject): APIServiceSpec {
  return (a.spec ?? {}) as APIServiceSpec;
}

function available(a: KObject): boolean {
  return (((a.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).find((c) => c.type === 'Available')?.status ?? '') === 'True';
}

/** The APIResourceList of a backend as one version of an aggregated discovery group. */
export function aggregatedVersion(group: string, version: string, list: { resources?: ResourceEntry[] }): Record<string, unknown> {
  return {
    version,
    resources: (list.resources ?? [])
      .filter((r) => !r.name.includes('/'))
      .map((r) => ({
        resource: r.name,
        responseKind: { group, version, kind: r.kind },
        scope: r.namespaced ? 'Namespaced' : 'Cluster',
        singularResource: r.singularName || r.kind.toLowerCase(),
        verbs: r.verbs,
        ...(r.shortNames?.length ? { shortNames: r.shortNames } : {}),
        ...(r.categories?.length ? { categories: r.categories } : {}),
      })),
    freshness: 'Current',
  };
}

export class Aggregator {
  private resources = new Map<string, { at: number; list: { resources?: ResourceEntry[] } }>();
  private connections: BackendConnections;

  constructor(
    private readonly objects: Objects,
    nodesDir: string,
  ) {
    this.connections = new BackendConnections((ep) => dialThroughKubelet(nodesDir, ep.node!, ep.ip, ep.port, DIAL_TIMEOUT_MS));
  }

  /** Closes the connections kept to backends. */
  close(): void {
    this.connections.close();
  }

  /** APIServices served by a Service (the others are this server's own groups). */
  private remote(): KObject[] {
    return this.objects.store
      .list(APISERVICES)
      .map((e) => this.objects.parse(e))
      .filter((a) => specOf(a).service?.name);
  }

  /** Answers /apis/<group>[/<version>[/…]] of a remote group; false for any other path. */
  async serve(path: string, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const seg = path.split('/').filter(Boolean);
    if (seg[0] !== 'apis' || seg.length < 2) return false;
    const mine = this.remote().filter((a) => specOf(a).group === seg[1]);
    if (mine.length === 0) return false;
    if (seg.length === 2) {
      const versions = mine.map((a) => ({ groupVersion: `${seg[1]}/${specOf(a).version}`, version: specOf(a).version }));
      this.json(res, { kind: 'APIGroup', apiVersion: 'v1', name: seg[1], versions, preferredVersion: versions[0] });
      return true;
    }
    const svc = mine.find((a) => specOf(a).version === seg[2]);
    if (!svc) return false;
    if (!available(svc)) {
      res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' }).end('service unavailable\n');
      return true;
    }
    await this.proxy(svc, req, res);
    return true;
  }

  private json(res: ServerResponse, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) }).end(text);
  }

  /** Sends a request to the APIService's backend over TLS. */
  private async send(a: KObject, method: string, path: string, headers: Record<string, string | string[] | undefined>, timeoutMs: number, body?: IncomingMessage) {
    const spec = specOf(a);
    const ref = spec.service!;
    const ns = ref.namespace ?? '';
    const service = this.get('core/services', ns, ref.name!);
    const slices = this.objects.store
      .list('discovery.k8s.io/endpointslices', ns)
      .map((e) => this.objects.parse(e))
      .filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === ref.name);
    const ep = resolveServiceEndpoint(ref, service, slices);
    if ('reason' in ep) throw new Error(ep.message);
    if (!ep.node) throw new Error(`endpoint ${ep.ip} of service/${ref.name} in "${ns}" names no node`);
    return this.connections.request(
      ep,
      { method, path, headers, insecureSkipTLSVerify: !!spec.insecureSkipTLSVerify, caBundle: spec.caBundle, serverName: `${ref.name}.${ns}.svc`, timeoutMs },
      body,
    );
  }

  private get(resource: string, ns: string, name: string): KObject | undefined {
    const e = this.objects.store.get(resource, ns, name);
    return e ? this.objects.parse(e) : undefined;
  }

  private async proxy(a: KObject, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const user = userOf(req);
    const headers: Record<string, string | string[] | undefined> = {
      accept: req.headers.accept,
      'content-type': req.headers['content-type'],
      'user-agent': req.headers['user-agent'],
      'x-remote-user': user?.username,
      'x-remote-group': user?.groups,
    };
    let upstream: Awaited<ReturnType<Aggregator['send']>>;
    try {
      upstream = await this.send(a, req.method ?? 'GET', req.url ?? '/', headers, PROXY_TIMEOUT_MS, req.method === 'GET' ? undefined : req);
    } catch (e) {
      // kube-aggregator's proxy error: a 503 with the dial error in the text, and logged.
      log('error', 'proxying a request to the backend of an APIService', { apiservice: a.metadata.name, path: req.url, error: (e as Error).message });
      res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' }).end(`error trying to reach service: ${(e as Error).message}\n`);
      return;
    }
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(upstream.headers)) if (v !== undefined && k !== 'connection' && k !== 'transfer-encoding') out[k] = v;
    res.writeHead(upstream.statusCode, out);
    upstream.res.pipe(res);
    await new Promise<void>((resolve) => res.on('close', resolve));
    // A client gone before the whole answer: the rest would hold the kept connection busy.
    if (!upstream.res.complete) upstream.res.destroy();
  }

  /** The backend's resource list for an available APIService, fetched at most once a minute. */
  private async resourceList(a: KObject): Promise<{ resources?: ResourceEntry[] } | undefined> {
    const key = `${a.metadata.name}@${a.metadata.resourceVersion}`;
    const cached = this.resources.get(key);
    if (cached && Date.now() - cached.at < DISCOVERY_TTL_MS) return cached.list;
    const { group, version } = specOf(a);
    try {
      const r = await this.send(a, 'GET', `/apis/${group}/${version}`, { accept: 'application/json' }, DISCOVERY_TIMEOUT_MS);
      const chunks: Buffer[] = [];
      for await (const c of r.res) chunks.push(c as Buffer);
      if (r.statusCode !== 200) return cached?.list;
      const list = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { resources?: ResourceEntry[] };
      for (const k of this.resources.keys()) if (k.startsWith(`${a.metadata.name}@`)) this.resources.delete(k);
      this.resources.set(key, { at: Date.now(), list });
      return list;
    } catch {
      return cached?.list;
    }
  }

  /** The legacy /apis group list with the remote groups appended. */
  groupList(local: string): string {
    const remote = this.remote();
    if (remote.length === 0) return local;
    const doc = JSON.parse(local) as { groups: { name: string; versions: unknown[]; preferredVersion: unknown }[] };
    for (const a of remote) {
      const { group, version } = specOf(a);
      const gv = { groupVersion: `${group}/${version}`, version };
      const g = doc.groups.find((x) => x.name === group);
      if (g) g.versions.push(gv);
      else doc.groups.push({ name: group!, versions: [gv], preferredVersion: gv });
    }
    return JSON.stringify(doc);
  }

  /** The aggregated /apis document with every available remote group whose backend answered discovery. */
  async aggregated(local: string): Promise<string> {
    const remote = this.remote().filter(available);
    if (remote.length === 0) return local;
    const doc = JSON.parse(local) as { items: { metadata: { name: string }; versions: unknown[] }[] };
    const lists = await Promise.all(remote.map((a) => this.resourceList(a)));
    remote.forEach((a, i) => {
      const list = lists[i];
      if (!list) return;
      const { group, version } = specOf(a);
      const v = aggregatedVersion(group!, version!, list);
      const g = doc.items.find((x) => x.metadata.name === group);
      if (g) g.versions.push(v);
      else doc.items.push({ metadata: { name: group!, creationTimestamp: null } as { name: string }, versions: [v] });
    });
    return JSON.stringify(doc);
  }
}

