import type { IServiceSpec } from 'kubernetes-models/v1/ServiceSpec';
import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import type { IIngressBackend } from 'kubernetes-models/networking.k8s.io/v1/IngressBackend';
import type { KObject } from '../../api/types.js';
import { parseIngressAnnotations, type IngressAnnotations } from './annotations.js';
import { ClassFilter, type ClassIdentity } from './classes.js';
import { locationRegex } from './policies/rewrite.js';
import { externalNameEndpoint, indexSlices, readyEndpoints, servicePortOf, type Endpoint } from '../proxy/endpoints.js';

// The route table: what ingress-nginx would write as nginx servers and locations, built as a
// plain function of the cluster objects. Servers are keyed by host; the catch-all server `_`
// takes rules without a host and everything no server names. Within a server, locations follow
// nginx: exact (`= /p`) first, then the longest literal prefix, with nginx's 301 for a request
// that lacks only the trailing slash of a prefix location; or, when any Ingress of the host asks
// for regexes (use-regex or rewrite-target), every location of the host becomes a
// case-insensitive regex anchored at the start, tried in order of descending path length.
// Prefix paths are split as ingress-nginx's updateServerLocations does (`/p/` prefix plus
// `= /p` exact), which is what gives Kubernetes' element-wise Prefix semantics; nginx's 301 for
// a missing trailing slash is kept for ImplementationSpecific paths only.

export const CATCH_ALL = '_';

export interface Upstream {
  /** `namespace-service-port`, as ingress-nginx names upstreams. */
  name: string;
  namespace: string;
  service: string;
  port: number | string;
  endpoints: Endpoint[];
}

export interface IngressRef {
  namespace: string;
  name: string;
}

export interface CanaryBackend {
  upstream: Upstream;
  config: IngressAnnotations;
  ingress: IngressRef;
}

export type PathType = 'Exact' | 'Prefix' | 'ImplementationSpecific';

export interface Location {
  /** The nginx location path: the Ingress path, with `/` appended for the prefix half of Prefix. */
  path: string;
  /** The path as written in the Ingress. */
  ingressPath: string;
  pathType: PathType;
  /** Literal exact match (`location = p`); otherwise a literal prefix, unless regex is set. */
  exact: boolean;
  /** Set when the server is in regex mode: `~* "^<path>"`. */
  regex?: RegExp;
  /** undefined: the default backend (404). */
  upstream?: Upstream;
  /** `default-backend` annotation: used when the upstream has no ready endpoint. */
  fallback?: Upstream;
  /** The root location a server gets when no Ingress path is `/`. */
  isDefaultBackend: boolean;
  ingress?: IngressRef;
  config: IngressAnnotations;
  canary?: CanaryBackend;
}

export interface Server {
  hostname: string;
  regexMode: boolean;
  /** Set when an Ingress lists the host under spec.tls: `namespace/secret`. */
  tlsSecret?: string;
  exact: Map<string, Location>;
  /** Literal prefixes, longest first. */
  prefixes: Location[];
  /** Regex mode: every location in nginx's order. */
  ordered: Location[];
}

export interface RouteTable {
  servers: Map<string, Server>;
  /** `*.foo.com` servers keyed by `.foo.com`. */
  wildcards: Map<string, Server>;
  catchAll: Server;
  /** TLS host (exact or `*.x`) → `namespace/secret`, from every served Ingress. */
  tlsHosts: Map<string, string>;
  /** The Ingresses this table serves (status is written to these). */
  served: IngressRef[];
  /** Every upstream by name: a retry looks its endpoints up here, as they are now. */
  upstreams: Map<string, Upstream>;
  /** Problems worth a log line, each naming its Ingress. */
  warnings: string[];
}

export interface RouteInputs {
  ingresses: KObject[];
  ingressClasses: KObject[];
  services: KObject[];
  endpointSlices: KObject[];
  identity: ClassIdentity;
}

type Ing = IIngress & KObject;

function ingressRef(ing: KObject): IngressRef {
  return { namespace: ing.metadata.namespace ?? 'default', name: ing.metadata.name ?? '' };
}

/** Oldest first, then by namespace/name: ingress-nginx's order, so the oldest Ingress wins conflicts. */
function byAge(a: KObject, b: KObject): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = `${a.metadata.namespace}/${a.metadata.name}`;
  const kb = `${b.metadata.namespace}/${b.metadata.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

class Builder {
  private readonly services = new Map<string, KObject>();
  private readonly slices: Map<string, KObject[]>;
  readonly upstreams = new Map<string, Upstream>();
  private readonly configs = new Map<string, IngressAnnotations>();
  readonly warnings: string[] = [];
  /** Locations per host in insertion order; split and ordered in finish(). */
  readonly hosts = new Map<string, { locations: Location[]; tlsSecret?: string }>();

  constructor(inputs: RouteInputs) {
    for (const s of inputs.services) this.services.set(`${s.metadata.namespace}/${s.metadata.name}`, s);
    this.slices = indexSlices(inputs.endpointSlices);
  }

  config(ing: KObject): IngressAnnotations {
    const key = `${ing.metadata.namespace}/${ing.metadata.name}`;
    let c = this.configs.get(key);
    if (!c) {
      const parsed = parseIngressAnnotations(ing.metadata.annotations);
      for (const e of parsed.errors) this.warnings.push(`Ingress ${key}: ${e}`);
      c = parsed.config;
      this.configs.set(key, c);
    }
    return c;
  }

  upstream(namespace: string, backend: IIngressBackend | undefined, ingKey: string): Upstream | undefined {
    const svcRef = backend?.service;
    if (!svcRef) return undefined;
    const portRef = { number: svcRef.port?.number, name: svcRef.port?.name };
    const portLabel = portRef.number ?? portRef.name ?? '';
    const name = `${namespace}-${svcRef.name}-${portLabel}`;
    const known = this.upstreams.get(name);
    if (known) return known;
    const up: Upstream = { name, namespace, service: svcRef.name, port: portLabel, endpoints: [] };
    this.upstreams.set(name, up);
    const svc = this.services.get(`${namespace}/${svcRef.name}`);
    if (!svc) {
      this.warnings.push(`Ingress ${ingKey}: Service "${namespace}/${svcRef.name}" not found`);
      return up;
    }
    if ((svc.spec as IServiceSpec | undefined)?.type === 'ExternalName') {
      const ep = externalNameEndpoint(svc, portRef);
      if (ep) up.endpoints = [ep];
      else this.warnings.push(`Ingress ${ingKey}: Service "${namespace}/${svcRef.name}" of type ExternalName has no usable external name and port`);
      return up;
    }
    const port = servicePortOf(svc, portRef);
    if (!port) {
      this.warnings.push(`Ingress ${ingKey}: Service "${namespace}/${svcRef.name}" does not have any active Endpoint for port ${portLabel}`);
      return up;
    }
    up.endpoints = readyEndpoints(this.slices.get(`${namespace}/${svcRef.name}`), port.name);
    return up;
  }

  /** The default-backend annotation's Service, on its first port as ingress-nginx takes it. */
  fallback(namespace: string, config: IngressAnnotations, ingKey: string): Upstream | undefined {
    if (!config.defaultBackend) return undefined;
    const svc = this.services.get(`${namespace}/${config.defaultBackend}`) as { spec?: { ports?: { port: number }[] } } | undefined;
    const first = svc?.spec?.ports?.[0];
    if (!first) return undefined;
    return this.upstream(namespace, { service: { name: config.defaultBackend, port: { number: first.port } } }, ingKey);
  }

  host(hostname: string): { locations: Location[]; tlsSecret?: string } {
    let h = this.hosts.get(hostname);
    if (!h) {
      h = { locations: [] };
      this.hosts.set(hostname, h);
    }
    return h;
  }
}

function rootLocation(upstream: Upstream | undefined, config: IngressAnnotations, ingress?: IngressRef): Location {
  return { path: '/', ingressPath: '/', pathType: 'Prefix', exact: false, upstream, isDefaultBackend: true, config, ingress };
}

const DEFAULT_CONFIG = parseIngressAnnotations(undefined).config;

function addIngress(b: Builder, ing: Ing): void {
  const ref = ingressRef(ing);
  const key = `${ref.namespace}/${ref.name}`;
  const config = b.config(ing);
  const spec = ing.spec ?? {};
  const defaultUp = spec.defaultBackend ? b.upstream(ref.namespace, spec.defaultBackend, key) : undefined;
  const fallback = b.fallback(ref.namespace, config, key);

  for (const tls of spec.tls ?? []) {
    if (!tls.secretName) continue;
    for (const h of tls.hosts ?? []) {
      const server = b.host(h.toLowerCase());
      server.tlsSecret ??= `${ref.namespace}/${tls.secretName}`;
    }
  }

  // An Ingress with only a defaultBackend is the catch-all server's root.
  if ((spec.rules ?? []).length === 0 && defaultUp) {
    const root = b.host(CATCH_ALL).locations.find((l) => l.path === '/' && l.isDefaultBackend);
    if (root && !root.upstream) {
      root.upstream = defaultUp;
      root.ingress = ref;
      root.config = config;
    }
  }

  for (const rule of spec.rules ?? []) {
    const hostname = rule.host ? rule.host.toLowerCase() : CATCH_ALL;
    const server = b.host(hostname);
    let root = server.locations.find((l) => l.path === '/' && l.isDefaultBackend);
    if (!root) {
      // ingress-nginx gives every server a root location; the first Ingress to name the host
      // decides whether it goes to that Ingress's defaultBackend or to the 404 backend.
      root = rootLocation(defaultUp, defaultUp ? config : DEFAULT_CONFIG, defaultUp ? ref : undefined);
      server.locations.push(root);
    }
    for (const p of rule.http?.paths ?? []) {
      const pathType = (p.pathType ?? 'ImplementationSpecific') as PathType;
      const path = p.path || '/';
      const upstream = b.upstream(ref.namespace, p.backend, key);
      if (path === '/' && pathType !== 'Exact' && root.isDefaultBackend) {
        // A `/` path takes over the server's root location instead of adding another.
        Object.assign(root, { upstream, fallback, isDefaultBackend: false, ingress: ref, config, pathType, ingressPath: '/' });
        continue;
      }
      const dup = server.locations.some((l) => l.ingressPath === path && l.pathType === pathType && !l.isDefaultBackend);
      if (dup || (path === '/' && pathType !== 'Exact')) {
        b.warnings.push(`Ingress ${key}: location ${path} of server ${hostname} is already defined by an older Ingress; ignored`);
        continue;
      }
      server.locations.push({ path, ingressPath: path, pathType, exact: pathType === 'Exact', upstream, fallback, isDefaultBackend: false, ingress: ref, config });
    }
  }
}

function addCanary(b: Builder, ing: Ing): void {
  const ref = ingressRef(ing);
  const key = `${ref.namespace}/${ref.name}`;
  const config = b.config(ing);
  for (const rule of ing.spec?.rules ?? []) {
    const hostname = rule.host ? rule.host.toLowerCase() : CATCH_ALL;
    for (const p of rule.http?.paths ?? []) {
      const path = p.path || '/';
      const pathType = (p.pathType ?? 'ImplementationSpecific') as PathType;
      const primary = b.hosts.get(hostname)?.locations.find((l) => l.ingressPath === path && l.pathType === pathType && !l.isDefaultBackend);
      const upstream = b.upstream(ref.namespace, p.backend, key);
      if (!primary || !upstream) {
        b.warnings.push(`Ingress ${key}: unable to find a non-canary Ingress for host ${hostname} path ${path}; canary ignored`);
        continue;
      }
      if (primary.canary) {
        b.warnings.push(`Ingress ${key}: host ${hostname} path ${path} already has a canary; ignored`);
        continue;
      }
      primary.canary = { upstream, config, ingress: ref };
    }
  }
}

/** nginx's regex for a location; ingress-nginx writes `~* "^<path>"`. */
function compileRegex(path: string): RegExp | undefined {
  try {
    return locationRegex(path);
  } catch {
    return undefined;
  }
}

function finishServer(hostname: string, locations: Location[], tlsSecret: string | undefined, warnings: string[]): Server {
  const regexMode = locations.some((l) => l.config.rewrite.useRegex || (l.canary?.config.rewrite.useRegex ?? false));
  // updateServerLocations: a literal Prefix path becomes a `/p/` prefix plus an `= /p` exact
  // location, unless an Exact location of the same path exists already. A trailing slash in a
  // Prefix path is ignored, as the Kubernetes specification says (ingress-nginx would answer
  // 301 to the slashed path instead; the specification's example table is what users test).
  const expanded: Location[] = [];
  const exactPaths = new Set(locations.filter((l) => l.pathType === 'Exact').map((l) => l.path));
  for (const l of locations) {
    if (l.path === '/' || l.pathType !== 'Prefix' || l.config.rewrite.useRegex) {
      expanded.push(l);
      continue;
    }
    const base = l.path.replace(/\/+$/, '');
    expanded.push({ ...l, path: `${base}/` });
    if (!exactPaths.has(base)) expanded.push({ ...l, path: base, exact: true });
  }
  // ingress-nginx sorts by path descending, then (stably) by length descending.
  const ordered = expanded
    .map((l, i) => ({ l, i }))
    .sort((a, b) => b.l.path.length - a.l.path.length || (a.l.path > b.l.path ? -1 : a.l.path < b.l.path ? 1 : 0) || a.i - b.i)
    .map((x) => x.l);
  const server: Server = { hostname, regexMode, tlsSecret, exact: new Map(), prefixes: [], ordered: [] };
  if (regexMode) {
    for (const l of ordered) {
      const regex = compileRegex(l.path);
      if (!regex) {
        warnings.push(`Ingress ${l.ingress?.namespace}/${l.ingress?.name}: path ${JSON.stringify(l.ingressPath)} of server ${hostname} is not a valid regular expression; ignored`);
        continue;
      }
      server.ordered.push({ ...l, regex, exact: false });
    }
    return server;
  }
  for (const l of ordered) {
    if (l.exact) {
      if (!server.exact.has(l.path)) server.exact.set(l.path, l);
    } else if (!server.prefixes.some((p) => p.path === l.path)) {
      server.prefixes.push(l);
    }
  }
  return server;
}

export function buildRouteTable(inputs: RouteInputs): RouteTable {
  const filter = new ClassFilter(inputs.identity, inputs.ingressClasses);
  const ours = (inputs.ingresses as Ing[]).filter((i) => !i.metadata.deletionTimestamp && filter.serves(i)).sort(byAge);
  const b = new Builder(inputs);
  b.host(CATCH_ALL).locations.push(rootLocation(undefined, DEFAULT_CONFIG));
  const canaries: Ing[] = [];
  for (const ing of ours) {
    if (b.config(ing).canary.enabled) canaries.push(ing);
    else addIngress(b, ing);
  }
  for (const ing of canaries) addCanary(b, ing);

  const table: RouteTable = {
    servers: new Map(),
    wildcards: new Map(),
    catchAll: undefined as unknown as Server,
    tlsHosts: new Map(),
    served: ours.map(ingressRef),
    upstreams: b.upstreams,
    warnings: b.warnings,
  };
  for (const [hostname, h] of b.hosts) {
    if (h.tlsSecret) table.tlsHosts.set(hostname, h.tlsSecret);
    if (h.locations.length === 0) continue; // a TLS-only host name: nothing to route
    const server = finishServer(hostname, h.locations, h.tlsSecret, b.warnings);
    if (hostname === CATCH_ALL) table.catchAll = server;
    else if (hostname.startsWith('*.')) table.wildcards.set(hostname.slice(1), server);
    else table.servers.set(hostname, server);
  }
  return table;
}

/** Host header → server: exact name, then a one-label wildcard, then the catch-all. */
export function findServer(table: RouteTable, hostHeader: string | undefined): Server {
  if (!hostHeader) return table.catchAll;
  let host = hostHeader;
  if (host.charCodeAt(0) === 91 /* [ */) {
    host = host.slice(0, host.indexOf(']') + 1);
  } else {
    const colon = host.indexOf(':');
    if (colon >= 0) host = host.slice(0, colon);
  }
  host = host.toLowerCase();
  if (host.endsWith('.')) host = host.slice(0, -1);
  const exact = table.servers.get(host);
  if (exact) return exact;
  const dot = host.indexOf('.');
  if (dot > 0) {
    const wild = table.wildcards.get(host.slice(dot));
    if (wild) return wild;
  }
  return table.catchAll;
}

export type LocationMatch =
  | { kind: 'location'; location: Location; captures?: RegExpExecArray }
  | { kind: 'slash-redirect'; path: string }
  | { kind: 'none' };

const NONE: LocationMatch = { kind: 'none' };

/** nginx's location choice for a normalised request path within one server. */
export function findLocation(server: Server, path: string): LocationMatch {
  if (server.regexMode) {
    for (const l of server.ordered) {
      const m = l.regex!.exec(path);
      if (m) return { kind: 'location', location: l, captures: m };
    }
    return NONE;
  }
  const exact = server.exact.get(path);
  if (exact) return { kind: 'location', location: exact };
  // nginx answers 301 to `p/` for a request of exactly `p` when a proxying location is `p/`.
  // Only ImplementationSpecific paths keep that manner: for Exact and Prefix the Kubernetes
  // specification decides (Exact `/foo/` does not match `/foo`; Prefix ignores the slash).
  const slashed = `${path}/`;
  const target = server.exact.get(slashed) ?? server.prefixes.find((l) => l.path === slashed);
  if (target && target.pathType === 'ImplementationSpecific') return { kind: 'slash-redirect', path: slashed };
  for (const l of server.prefixes) {
    if (path.startsWith(l.path)) return { kind: 'location', location: l };
  }
  return NONE;
}
