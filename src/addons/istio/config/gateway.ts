import type { IDestinationRule } from '@kubernetes-models/istio/networking.istio.io/v1beta1/DestinationRule';
import type { IGateway } from '@kubernetes-models/istio/networking.istio.io/v1beta1/Gateway';
import type { IVirtualService } from '@kubernetes-models/istio/networking.istio.io/v1beta1/VirtualService';
import type { KObject } from '../../../api/types.js';
import type { KeyPair } from '../../proxy/certificates.js';
import { indexSlices, readyEndpoints } from '../../proxy/endpoints.js';
import { CLUSTER_DOMAIN, intersectHosts, resolveShortName, splitServerHost } from './hosts.js';
import { isCatchAll, qualifyGateway, translateTcpRoutes, translateTlsRoutes, type ClusterResolver } from './routes.js';
import { entryEndpoints, entryServices, type EntryService } from './service-entry.js';
import { clusterPolicy, namesCredential, type ClientTlsSettings, type TrafficPolicy } from './traffic-policy.js';
import { RouteTranslations } from './translations.js';
import type { Cluster, GatewayCredential, Listener, ProxyConfig, Route, ServerTls, SniRoute, TcpRoute, TlsVersion, UpstreamTls, VirtualHost } from './types.js';
import { versioned } from './version.js';

// A gateway proxy's configuration as pilot builds it (pilot/pkg/networking/core/gateway.go):
// the Gateways whose selector matches the proxy's labels give the listeners, one per port,
// with the servers' hosts; the VirtualServices bound to those Gateways give each port's
// virtual hosts, a VirtualService host narrowed to the server host it falls in, the routes of
// several VirtualServices for one host merged in order with catch-alls last; the Services,
// EndpointSlices, Pods and DestinationRules give the clusters those routes name, and so do the
// ServiceEntries exported to the proxy's namespace (service-entry.ts).

export interface MeshSnapshot {
  gateways: KObject[];
  virtualServices: KObject[];
  destinationRules: KObject[];
  services: KObject[];
  endpointSlices: KObject[];
  pods: KObject[];
  secrets: KObject[];
  serviceEntries?: KObject[];
  /** The mesh's node proxies apply these (with the namespaces' labels they select by). */
  networkPolicies?: KObject[];
  namespaces?: KObject[];
}

/** The gateway pod asking for its configuration. */
export interface ProxyIdentity {
  namespace: string;
  labels: Record<string, string>;
}

/** Istio's root namespace: DestinationRules there apply to every proxy. */
export const ROOT_NAMESPACE = 'istio-system';

type GatewaySpec = NonNullable<IGateway['spec']>;
type Server = NonNullable<GatewaySpec['servers']>[number];
type VSSpec = NonNullable<IVirtualService['spec']>;

interface ServiceLike extends KObject {
  spec?: { selector?: Record<string, string>; ports?: { name?: string; port: number; targetPort?: number | string }[] };
}

export function selects(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** The container port a gateway server's number arrives on: the targetPort of the proxy's Service that exposes it. */
function listenPort(number: number, proxy: ProxyIdentity, services: KObject[]): number {
  for (const s of services as ServiceLike[]) {
    if (s.metadata.namespace !== proxy.namespace || !selects(s.spec?.selector, proxy.labels)) continue;
    const p = s.spec?.ports?.find((x) => x.port === number);
    if (p && typeof p.targetPort === 'number') return p.targetPort;
    if (p) return number;
  }
  return number;
}

const decoded = (data: Record<string, string> | undefined, k: string): string | undefined => (data?.[k] ? Buffer.from(data[k]!, 'base64').toString('utf8') : undefined);

/** A Secret's key pair as istiod's credentials controller reads it: `cert`/`key`, else `tls.crt`/`tls.key`. */
function secretPair(secret: KObject | undefined): KeyPair | undefined {
  const data = (secret as { data?: Record<string, string> } | undefined)?.data;
  for (const [c, k] of [['cert', 'key'], ['tls.crt', 'tls.key']] as const) {
    const cert = decoded(data, c);
    const key = decoded(data, k);
    if (cert && key) return { cert, key };
  }
  return undefined;
}

/**
 * The CA a mutual TLS server checks client certificates against, as istiod serves its
 * `<credentialName>-cacert` resource: from a Secret of that name if there is one, else from the
 * credential's own Secret; `cacert` (with `crl`), else `ca.crt` (with `ca.crl`).
 */
function secretCa(secrets: KObject[], namespace: string, name: string): { ca: string; crl?: string } | undefined {
  const find = (n: string) => secrets.find((s) => s.metadata.namespace === namespace && s.metadata.name === n) as { data?: Record<string, string> } | undefined;
  const data = (find(`${name}-cacert`) ?? find(name))?.data;
  for (const [c, r] of [['cacert', 'crl'], ['ca.crt', 'ca.crl']] as const) {
    const ca = decoded(data, c);
    if (ca) return { ca, ...(decoded(data, r) ? { crl: decoded(data, r) } : {}) };
  }
  return undefined;
}

/** A Gateway server's TLS mode (Istio's default is PASSTHROUGH), for the modes the gateway terminates. */
function terminatedMode(server: { tls?: { mode?: string } }): 'SIMPLE' | 'MUTUAL' | 'OPTIONAL_MUTUAL' | undefined {
  const mode = server.tls?.mode;
  return mode === 'SIMPLE' || mode === 'MUTUAL' || mode === 'OPTIONAL_MUTUAL' ? mode : undefined;
}

const TLS_VERSIONS: Record<string, TlsVersion> = { TLSV1_0: 'TLSv1', TLSV1_1: 'TLSv1.1', TLSV1_2: 'TLSv1.2', TLSV1_3: 'TLSv1.3' };

/** A server's protocol version bounds; TLS_AUTO (or none) leaves Envoy's defaults, which are Node's (TLS 1.2 to 1.3). */
function versions(tls: { minProtocolVersion?: string; maxProtocolVersion?: string }): Pick<ServerTls, 'minVersion' | 'maxVersion'> {
  const min = TLS_VERSIONS[tls.minProtocolVersion ?? ''];
  const max = TLS_VERSIONS[tls.maxProtocolVersion ?? ''];
  return { ...(min ? { minVersion: min } : {}), ...(max ? { maxVersion: max } : {}) };
}

/** A mutual TLS server's further checks of a client certificate, as pilot puts them in Envoy's validation context. */
function clientChecks(tls: { subjectAltNames?: string[]; verifyCertificateHash?: string[]; verifyCertificateSpki?: string[] }): Pick<ServerTls, 'subjectAltNames' | 'certificateHashes' | 'spkiHashes'> {
  const out: Pick<ServerTls, 'subjectAltNames' | 'certificateHashes' | 'spkiHashes'> = {};
  if (tls.subjectAltNames?.length) out.subjectAltNames = tls.subjectAltNames;
  // Envoy takes the hex with or without colons, in either case.
  if (tls.verifyCertificateHash?.length) out.certificateHashes = tls.verifyCertificateHash.map((h) => h.replace(/:/g, '').toLowerCase());
  if (tls.verifyCertificateSpki?.length) out.spkiHashes = tls.verifyCertificateSpki;
  return out;
}

export const key = (o: KObject) => `${o.metadata.namespace}/${o.metadata.name}`;

export class ClusterBuilder {
  readonly clusters: Record<string, Cluster> = {};
  private readonly services = new Map<string, ServiceLike>();
  private readonly slices: Map<string, KObject[]>;
  private podIndex?: Map<string, KObject>;
  /** The ServiceEntry hosts this proxy sees (exportTo), by host. */
  readonly entries: Map<string, EntryService>;

  /**
   * `meshWide`: the proxy serves every namespace (the mesh's node proxy), so exportTo does not
   * narrow what it sees. `translations`: where the clusters of the last build are kept.
   */
  constructor(
    private readonly snap: MeshSnapshot,
    private readonly proxy: ProxyIdentity,
    private readonly translations: RouteTranslations,
    private readonly meshWide = false,
  ) {
    for (const s of snap.services) this.services.set(`${s.metadata.name}.${s.metadata.namespace}.svc.${CLUSTER_DOMAIN}`, s as ServiceLike);
    this.slices = indexSlices(snap.endpointSlices);
    this.entries = entryServices(snap.serviceEntries ?? [], meshWide ? undefined : proxy.namespace);
  }

  /** The pods by namespace/name, indexed only when a cluster is built that selects among them. */
  private pods(): Map<string, KObject> {
    this.podIndex ??= new Map(this.snap.pods.map((p) => [key(p), p]));
    return this.podIndex;
  }

  /** The DestinationRule for a host: the proxy's namespace, then the Service's, then the root namespace (pilot's lookup order). */
  private ruleFor(fqdn: string, serviceNamespace: string): IDestinationRule | undefined {
    for (const ns of [this.proxy.namespace, serviceNamespace, ROOT_NAMESPACE]) {
      const dr = this.snap.destinationRules.find((d) => d.metadata.namespace === ns && resolveShortName((d as IDestinationRule).spec?.host ?? '', ns) === fqdn);
      if (dr) return dr as IDestinationRule;
    }
    return undefined;
  }

  /** Whether the cluster is built already. */
  readonly has = (cluster: string): boolean => this.clusters[cluster] !== undefined;

  readonly resolve: ClusterResolver = (destination, namespace) => {
    if (!destination?.host) return undefined;
    const fqdn = resolveShortName(destination.host, namespace);
    const svc = this.services.get(fqdn);
    // A Kubernetes Service comes first: a ServiceEntry of the same host only decorates it.
    if (!svc) return this.resolveEntry(destination, fqdn);
    const ports = svc.spec?.ports ?? [];
    const port = destination.port?.number !== undefined ? ports.find((p) => p.port === destination.port!.number) : ports.length === 1 ? ports[0] : undefined;
    if (!port) return undefined;
    const subset = destination.subset ?? '';
    const name = `outbound|${port.port}|${subset}|${fqdn}`;
    if (this.clusters[name]) return name;
    const dr = this.ruleFor(fqdn, svc.metadata.namespace ?? '');
    const rule = dr?.spec;
    const sub = subset ? rule?.subsets?.find((s) => s.name === subset) : undefined;
    // A subset no DestinationRule defines: Envoy has no such cluster and answers 503.
    if (subset && !sub) return undefined;
    const labels = sub?.labels ?? {};
    const bySubset = Object.keys(labels).length > 0;
    const slices = this.slices.get(`${svc.metadata.namespace}/${svc.metadata.name}`) ?? [];
    const top = rule?.trafficPolicy as TrafficPolicy | undefined;
    const own = sub?.trafficPolicy as TrafficPolicy | undefined;
    // What the cluster is made of: the pods only matter when a subset selects among them, the
    // Secrets when the rule names a credential.
    const secrets = namesCredential(top, (rule?.subsets ?? []).map((s) => s.trafficPolicy as TrafficPolicy | undefined)) ? this.snap.secrets : undefined;
    const parts = [svc, dr, bySubset ? this.snap.pods : undefined, secrets, ...slices];
    this.clusters[name] = this.translations.cluster(name, parts, () => {
      const endpoints = readyEndpoints(slices, port.name, (ep, slice) => {
        if (!bySubset) return true;
        const ref = ep.targetRef;
        if (!ref || ref.kind !== 'Pod') return false;
        const pod = this.pods().get(`${ref.namespace ?? slice.metadata.namespace}/${ref.name}`);
        return selects(labels, pod?.metadata.labels ?? {});
      });
      return { endpoints, ...clusterPolicy(top, own, port.port, (t) => this.upstreamTls(t, fqdn, dr?.metadata?.namespace ?? '')) };
    });
    return name;
  };

  /**
   * A DestinationRule's client TLS for a cluster of `host` (pilot's buildUpstreamTlsContext):
   * SIMPLE and MUTUAL originate TLS; DISABLE and ISTIO_MUTUAL leave the connection plain (the
   * mesh has no mutual TLS between its proxies). A credentialName is read where istiod's SDS
   * lets the proxy read it: a gateway's own namespace; for the mesh's node proxy, which stands
   * for the sidecars of every namespace, the DestinationRule's. The files a sidecar would read
   * (caCertificates, clientCertificate, privateKey) are none of a node proxy's, so a cluster
   * that names them fails its connections as one whose secret never came.
   */
  private upstreamTls(settings: ClientTlsSettings, host: string, ruleNamespace: string): UpstreamTls | undefined {
    const mode = settings.mode;
    if (mode !== 'SIMPLE' && mode !== 'MUTUAL') return undefined;
    const tls: UpstreamTls = {
      sni: settings.sni || host,
      ...(settings.insecureSkipVerify ? { insecure: true } : {}),
      ...(settings.subjectAltNames?.length ? { subjectAltNames: settings.subjectAltNames } : {}),
    };
    const name = settings.credentialName;
    if (!name) {
      const file = settings.caCertificates || (mode === 'MUTUAL' ? settings.clientCertificate || settings.privateKey : undefined);
      return file ? { ...tls, missing: `file ${file}` } : tls;
    }
    const namespace = this.meshWide ? ruleNamespace : this.proxy.namespace;
    const find = (n: string) => this.snap.secrets.find((s) => s.metadata.namespace === namespace && s.metadata.name === n);
    const own = find(name);
    const ca = secretCa(this.snap.secrets, namespace, name)?.ca;
    const pair = mode === 'MUTUAL' ? secretPair(own) : undefined;
    if ((mode === 'MUTUAL' && !pair) || (!own && !find(`${name}-cacert`))) return { ...tls, missing: `secret ${namespace}/${name}` };
    return { ...tls, ...(ca && !tls.insecure ? { ca } : {}), ...(pair ? { cert: pair.cert, key: pair.key } : {}) };
  }

  /** The cluster of a ServiceEntry host's port (`port` optional when the entry has one), or undefined when no visible entry has it. */
  private resolveEntry(destination: NonNullable<Parameters<ClusterResolver>[0]>, host: string): string | undefined {
    const entry = this.entries.get(host);
    if (!entry) return undefined;
    const ports = entry.spec.ports ?? [];
    const port = destination.port?.number !== undefined ? ports.find((p) => p.number === destination.port!.number) : ports.length === 1 ? ports[0] : undefined;
    if (!port?.number) return undefined;
    const subset = destination.subset ?? '';
    const name = `outbound|${port.number}|${subset}|${host}`;
    if (this.clusters[name]) return name;
    const dr = this.ruleFor(host, entry.namespace);
    const rule = dr?.spec;
    const sub = subset ? rule?.subsets?.find((s) => s.name === subset) : undefined;
    if (subset && !sub) return undefined;
    const endpoints = entryEndpoints(entry, port, this.snap.pods, sub?.labels ?? {});
    const tls = (t: ClientTlsSettings) => this.upstreamTls(t, host, dr?.metadata?.namespace ?? '');
    const policy = clusterPolicy(rule?.trafficPolicy as TrafficPolicy | undefined, sub?.trafficPolicy as TrafficPolicy | undefined, port.number, tls);
    this.clusters[name] = { endpoints, ...policy, ...(entry.resolution === 'NONE' ? { originalDst: true } : {}) };
    return name;
  }
}

const sorted = new WeakMap<KObject[], KObject[]>();

/**
 * Oldest first, then by namespace/name: the order in which pilot merges and prefers objects.
 * Sorted once per list (a snapshot's list serves the mesh's build and each gateway's); the
 * result must not be changed.
 */
export function byCreation(objects: KObject[]): KObject[] {
  let out = sorted.get(objects);
  if (out) return out;
  const keyed = objects.map((o) => ({ o, t: o.metadata.creationTimestamp ?? '', k: key(o) }));
  keyed.sort((a, b) => (a.t !== b.t ? (a.t < b.t ? -1 : 1) : a.k < b.k ? -1 : 1));
  out = keyed.map((x) => x.o);
  sorted.set(objects, out);
  return out;
}

interface BoundServer {
  gateway: string;
  gatewayNamespace: string;
  server: Server;
}

/**
 * The VirtualServices bound to a gateway (oldest first, as `vss` comes), each with every host of
 * its that a server's hosts take: their intersection, in a namespace the server host allows.
 */
function* boundHosts(vss: KObject[], gateway: string, serverHosts: { namespace: string; dnsName: string }[]): Generator<{ vs: KObject; spec: VSSpec; namespace: string; name: string }> {
  for (const vs of vss) {
    const spec = (vs as IVirtualService).spec as VSSpec | undefined;
    const namespace = vs.metadata.namespace ?? '';
    if (!spec || !(spec.gateways ?? []).some((g) => qualifyGateway(g, namespace) === gateway)) continue;
    for (const host of spec.hosts ?? []) {
      for (const sh of serverHosts) {
        if (sh.namespace !== '*' && sh.namespace !== namespace) continue;
        const name = intersectHosts(sh.dnsName, host);
        if (name) yield { vs, spec, namespace, name };
      }
    }
  }
}

/** The `tls` routes of the VirtualServices bound to a port's PASSTHROUGH servers, server by server, oldest VirtualService first. */
function passthroughRoutes(servers: BoundServer[] | undefined, port: number, vss: KObject[], clusters: ClusterBuilder): SniRoute[] {
  const out: SniRoute[] = [];
  const taken = new Set<string>();
  for (const { server, gateway, gatewayNamespace } of servers ?? []) {
    const serverHosts = (server.hosts ?? []).map((h) => splitServerHost(h, gatewayNamespace));
    const seen = new Set<KObject>();
    for (const { vs, spec, namespace } of boundHosts(vss, gateway, serverHosts)) {
      if (!spec.tls || seen.has(vs)) continue;
      seen.add(vs);
      out.push(...translateTlsRoutes(spec.tls, { namespace }, { port, gateway, resolve: clusters.resolve, taken }));
    }
  }
  return out;
}

/**
 * The lists a route's destinations resolve in (RouteTranslations.begin): whether a destination
 * names a cluster, and which, depends on Services' ports, DestinationRules' subsets and
 * ServiceEntries' hosts, never on endpoints or pods (those fill the clusters, built again when
 * what they are made of changes), so pods coming and going do not make every route be
 * translated again.
 */
export function registryOf(snap: MeshSnapshot): readonly unknown[] {
  return [snap.services, snap.destinationRules, snap.serviceEntries];
}

/** `translations`: the routes of earlier builds, for the VirtualServices that did not change since. */
export function buildGatewayConfig(snap: MeshSnapshot, proxy: ProxyIdentity, translations = new RouteTranslations()): ProxyConfig {
  translations.begin(registryOf(snap));
  const gateways = snap.gateways.filter((g) => selects((g as IGateway).spec?.selector, proxy.labels)).sort((a, b) => (key(a) < key(b) ? -1 : 1));
  const byPort = new Map<number, BoundServer[]>();
  const tcpPorts = new Map<number, BoundServer[]>();
  const passthroughPorts = new Map<number, BoundServer[]>();
  for (const g of gateways) {
    for (const server of (g as IGateway).spec?.servers ?? []) {
      if (!server.port?.number) continue;
      const protocol = (server.port.protocol ?? '').toUpperCase();
      const terminated = protocol === 'HTTPS' && terminatedMode(server) !== undefined;
      const passthrough = (protocol === 'HTTPS' || protocol === 'TLS') && (server.tls?.mode ?? 'PASSTHROUGH') === 'PASSTHROUGH';
      const ports = protocol === 'TCP' ? tcpPorts : passthrough ? passthroughPorts : protocol === 'HTTP' || protocol === 'HTTP2' || protocol === 'GRPC' || terminated ? byPort : undefined;
      if (!ports) continue;
      const list = ports.get(server.port.number) ?? [];
      list.push({ gateway: key(g), gatewayNamespace: g.metadata.namespace ?? '', server });
      ports.set(server.port.number, list);
    }
  }
  const vss = byCreation(snap.virtualServices);
  const clusters = new ClusterBuilder(snap, proxy, translations);
  const secrets: Record<string, GatewayCredential> = {};
  const listeners: Listener[] = [];
  for (const [number, servers] of [...byPort].sort((a, b) => a[0] - b[0])) {
    const https = servers.some((s) => (s.server.port?.protocol ?? '').toUpperCase() === 'HTTPS');
    const hostRoutes = new Map<string, { parts: Route[][]; requireTls: boolean }>();
    const tls: ServerTls[] = [];
    for (const bound of servers) {
      const { server, gateway, gatewayNamespace } = bound;
      const serverHosts = (server.hosts ?? []).map((h) => splitServerHost(h, gatewayNamespace));
      if (server.tls?.credentialName) {
        const name = server.tls.credentialName;
        const mode = terminatedMode(server);
        // Only the proxy's own namespace, as istiod's SDS authorizes a gateway to read credentials.
        const secret = snap.secrets.find((s) => s.metadata.namespace === proxy.namespace && s.metadata.name === name);
        const pair = secretPair(secret);
        const credential = `${proxy.namespace}/${name}`;
        // The CA with it whatever the mode: only a mutual TLS server's context takes it.
        if (pair) secrets[credential] = { ...pair, ...secretCa(snap.secrets, proxy.namespace, name) };
        const clientCertificate = mode === 'MUTUAL' || mode === 'OPTIONAL_MUTUAL' ? mode : undefined;
        tls.push({ hosts: serverHosts.map((h) => h.dnsName), credential, ...(clientCertificate ? { clientCertificate, ...clientChecks(server.tls) } : {}), ...versions(server.tls) });
      }
      const requireTls = server.tls?.httpsRedirect === true;
      const scope = `${gateway}|${number}`;
      const ctx = { port: number, gateway, resolve: clusters.resolve, has: clusters.has };
      for (const { vs, spec, name } of boundHosts(vss, gateway, serverHosts)) {
        const entry = hostRoutes.get(name) ?? { parts: [], requireTls };
        entry.requireTls ||= requireTls;
        entry.parts.push(translations.routes(vs, spec.http ?? [], scope, ctx));
        hostRoutes.set(name, entry);
      }
    }
    const virtualHosts: VirtualHost[] = [];
    for (const [domain, e] of hostRoutes) {
      virtualHosts.push(
        translations.virtualHost(`${number}|${domain}`, [e.requireTls, ...e.parts], () => {
          // Merged VirtualServices keep their order, except that catch-all routes go last.
          const all = e.parts.flat();
          const routes = [...all.filter((r) => !isCatchAll(r)), ...all.filter(isCatchAll)];
          return { domains: [domain], routes, ...(e.requireTls ? { requireTls: true } : {}) };
        }),
      );
    }
    const passthrough = https ? passthroughRoutes(passthroughPorts.get(number), number, vss, clusters) : [];
    listeners.push({ port: listenPort(number, proxy, snap.services), serverPort: number, protocol: https ? 'HTTPS' : 'HTTP', ...(tls.length ? { tls } : {}), virtualHosts, ...(passthrough.length ? { passthrough } : {}) });
  }
  // Ports with PASSTHROUGH servers only: TLS listeners that route by SNI alone.
  for (const [number, servers] of [...passthroughPorts].sort((a, b) => a[0] - b[0])) {
    if (byPort.has(number) || tcpPorts.has(number)) continue;
    const passthrough = passthroughRoutes(servers, number, vss, clusters);
    // pilot leaves out a listener without filter chains.
    if (passthrough.length === 0) continue;
    listeners.push({ port: listenPort(number, proxy, snap.services), serverPort: number, protocol: 'HTTPS', virtualHosts: [], passthrough });
  }
  // TCP servers: the tcp routes of the VirtualServices bound to the server whose hosts its hosts
  // take, oldest first (a port an HTTP server has already is that server's).
  for (const [number, servers] of [...tcpPorts].sort((a, b) => a[0] - b[0])) {
    if (byPort.has(number)) continue;
    const tcp: TcpRoute[] = [];
    for (const { server, gateway, gatewayNamespace } of servers) {
      const serverHosts = (server.hosts ?? []).map((h) => splitServerHost(h, gatewayNamespace));
      const taken = new Set<KObject>();
      for (const { vs, spec, namespace } of boundHosts(vss, gateway, serverHosts)) {
        if (!spec.tcp || taken.has(vs)) continue;
        taken.add(vs);
        tcp.push(...translateTcpRoutes(spec.tcp, { namespace }, { port: number, gateway, resolve: clusters.resolve }));
      }
    }
    listeners.push({ port: listenPort(number, proxy, snap.services), serverPort: number, protocol: 'TCP', virtualHosts: [], tcp });
  }
  listeners.sort((a, b) => a.serverPort - b.serverPort);
  const body = { listeners, clusters: clusters.clusters, secrets };
  return versioned(body);
}
