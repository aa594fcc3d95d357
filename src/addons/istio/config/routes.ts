import type { IVirtualService } from '@kubernetes-models/istio/networking.istio.io/v1beta1/VirtualService';
import { parseDurationMs } from './duration.js';
import type { CorsPolicy, FaultPolicy, HeaderRules, MirrorPolicy, RetryPolicy, Route, RouteAction, RouteMatch, SniRoute, StringMatch, TcpRoute, ValueMatch, WeightedCluster } from './types.js';

// One VirtualService HTTPRoute as pilot translates it into an Envoy route
// (pilot/pkg/networking/core/route/route.go): its match blocks, and a route, redirect or direct
// response action with weights, rewrite, timeout, retries, header operations and faults.

export type HTTPRoute = NonNullable<NonNullable<IVirtualService['spec']>['http']>[number];
export type TCPRoute = NonNullable<NonNullable<IVirtualService['spec']>['tcp']>[number];
export type TLSRoute = NonNullable<NonNullable<IVirtualService['spec']>['tls']>[number];
type HTTPMatch = NonNullable<HTTPRoute['match']>[number];
type Destination = NonNullable<HTTPRoute['route']>[number]['destination'];

/** Istio's retry policy when a route sets none (pilot/pkg/networking/core/route/retry). */
export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 2,
  retryOn: ['connect-failure', 'refused-stream', 'unavailable', 'cancelled', 'retriable-status-codes'],
  statusCodes: [503],
};

/** Names a destination's cluster (and asks for it to be built), or undefined when its host or port resolves to nothing. */
export type ClusterResolver = (destination: Destination, namespace: string) => string | undefined;

function stringMatch(m: { exact?: string; prefix?: string; regex?: string } | undefined): StringMatch | undefined {
  if (!m) return undefined;
  if (m.exact !== undefined) return { exact: m.exact };
  if (m.prefix !== undefined) return { prefix: m.prefix };
  if (m.regex !== undefined) return { regex: m.regex };
  return undefined;
}

function valueMatches(h: Record<string, { exact?: string; prefix?: string; regex?: string }> | undefined, lowerKeys: boolean): Record<string, ValueMatch> | undefined {
  if (!h) return undefined;
  const out: Record<string, ValueMatch> = {};
  for (const [k, v] of Object.entries(h)) {
    const key = lowerKeys ? k.toLowerCase() : k;
    // Pseudo-headers are matched through their own fields, not here.
    if (lowerKeys && (key === 'uri' || key === 'scheme' || key === 'method' || key === 'authority')) continue;
    out[key] = stringMatch(v) ?? { present: true };
  }
  return out;
}

export function translateMatch(m: HTTPMatch): RouteMatch {
  const out: RouteMatch = {};
  const uri = stringMatch(m.uri);
  if (uri) out.uri = uri;
  if (m.ignoreUriCase) out.ignoreUriCase = true;
  const scheme = stringMatch(m.scheme);
  if (scheme) out.scheme = scheme;
  const method = stringMatch(m.method);
  if (method) out.method = method;
  const authority = stringMatch(m.authority);
  if (authority) out.authority = authority;
  const headers = valueMatches(m.headers, true);
  if (headers) out.headers = headers;
  const without = valueMatches(m.withoutHeaders, true);
  if (without) out.withoutHeaders = without;
  const query = valueMatches(m.queryParams, false);
  if (query) out.queryParams = query;
  if (m.port) out.port = m.port;
  if (m.sourceLabels && Object.keys(m.sourceLabels).length > 0) out.sourceLabels = m.sourceLabels;
  if (m.sourceNamespace) out.sourceNamespace = m.sourceNamespace;
  return out;
}

/** retryOn as Envoy takes it: numbers become retriable status codes (and switch that policy on). */
export function translateRetry(r: HTTPRoute['retries']): RetryPolicy {
  if (!r) return DEFAULT_RETRY;
  const attempts = r.attempts ?? 0;
  if (attempts <= 0) return { attempts: 0, retryOn: [], statusCodes: [] };
  const retryOn: string[] = [];
  const statusCodes: number[] = [];
  const tokens = (r.retryOn ?? DEFAULT_RETRY.retryOn.join(',')).split(',').map((t) => t.trim()).filter(Boolean);
  for (const t of tokens) {
    if (/^\d+$/.test(t)) statusCodes.push(Number(t));
    else if (!retryOn.includes(t)) retryOn.push(t);
  }
  if (statusCodes.length > 0 && !retryOn.includes('retriable-status-codes')) retryOn.push('retriable-status-codes');
  // An explicit policy without numbers keeps 503 as the retriable code, as pilot's default does.
  if (r.retryOn === undefined) statusCodes.push(...DEFAULT_RETRY.statusCodes);
  const perTry = parseDurationMs(r.perTryTimeout);
  return { attempts, retryOn, statusCodes, ...(perTry ? { perTryTimeoutMs: perTry } : {}) };
}

function percentOf(p: { value?: number } | undefined, legacy: number | undefined): number {
  if (p?.value !== undefined) return p.value;
  return legacy ?? 0;
}

function translateFault(f: HTTPRoute['fault']): FaultPolicy | undefined {
  if (!f) return undefined;
  const out: FaultPolicy = {};
  const delayMs = parseDurationMs(f.delay?.fixedDelay);
  if (f.delay && delayMs !== undefined) out.delay = { ms: delayMs, percent: percentOf(f.delay.percentage, f.delay.percent) };
  if (f.abort?.httpStatus) out.abort = { status: f.abort.httpStatus, percent: percentOf(f.abort.percentage, undefined) };
  return out.delay || out.abort ? out : undefined;
}

function headerRules(h: HTTPRoute['headers']): HeaderRules | undefined {
  if (!h || (!h.request && !h.response)) return undefined;
  const ops = (o: { set?: Record<string, string>; add?: Record<string, string>; remove?: string[] } | undefined) =>
    o ? { ...(o.set ? { set: o.set } : {}), ...(o.add ? { add: o.add } : {}), ...(o.remove ? { remove: o.remove } : {}) } : undefined;
  const request = ops(h.request);
  const response = ops(h.response);
  return { ...(request ? { request } : {}), ...(response ? { response } : {}) };
}

function action(r: HTTPRoute, namespace: string, resolve: ClusterResolver): RouteAction {
  if (r.redirect) {
    const rd = r.redirect;
    return {
      kind: 'redirect',
      status: rd.redirectCode ?? 301,
      ...(rd.uri ? { uri: rd.uri } : {}),
      ...(rd.authority ? { authority: rd.authority } : {}),
      ...(rd.port ? { port: rd.port } : {}),
      ...(rd.derivePort ? { derivePort: rd.derivePort as 'FROM_PROTOCOL_DEFAULT' | 'FROM_REQUEST_PORT' } : {}),
      ...(rd.scheme ? { scheme: rd.scheme } : {}),
    };
  }
  if (r.directResponse) {
    const b = r.directResponse.body;
    const body = b?.string ?? (b?.bytes ? Buffer.from(b.bytes, 'base64').toString('latin1') : '');
    return { kind: 'direct', status: r.directResponse.status ?? 200, body };
  }
  const route = r.route ?? [];
  const clusters: WeightedCluster[] = [];
  for (const d of route) {
    const cluster = resolve(d.destination, namespace);
    // A lone destination takes everything, whatever its weight says.
    const weight = route.length === 1 ? 100 : (d.weight ?? 0);
    const headers = headerRules(d.headers);
    // An unresolvable destination keeps its share: Envoy answers 503 for a missing cluster.
    clusters.push({ cluster: cluster ?? '', weight, ...(headers ? { headers } : {}) });
  }
  const rw = r.rewrite;
  const rewrite = rw
    ? {
        ...(rw.uri !== undefined ? { uri: rw.uri } : {}),
        ...(rw.authority ? { authority: rw.authority } : {}),
      }
    : undefined;
  const timeoutMs = parseDurationMs(r.timeout);
  const mirrors = translateMirrors(r, namespace, resolve);
  return {
    kind: 'route',
    clusters,
    retry: translateRetry(r.retries),
    ...(timeoutMs ? { timeoutMs } : {}),
    ...(rewrite ? { rewrite } : {}),
    ...(mirrors.length > 0 ? { mirrors } : {}),
  };
}

type MirrorSpec = { destination?: Destination; percentage?: { value?: number } };

/** `mirror` with `mirrorPercentage` (or the older `mirrorPercent`), and `mirrors`: 100% unless a share is given; a destination that resolves to nothing is left out, as pilot does. */
export function translateMirrors(r: HTTPRoute, namespace: string, resolve: ClusterResolver): MirrorPolicy[] {
  const specs: MirrorSpec[] = [];
  const legacy = (r as { mirrorPercent?: number }).mirrorPercent;
  if (r.mirror) specs.push({ destination: r.mirror as Destination, percentage: r.mirrorPercentage ?? (legacy !== undefined ? { value: legacy } : undefined) });
  for (const m of ((r as { mirrors?: MirrorSpec[] }).mirrors ?? [])) specs.push(m);
  const out: MirrorPolicy[] = [];
  for (const m of specs) {
    const cluster = m.destination ? resolve(m.destination, namespace) : undefined;
    if (cluster) out.push({ cluster, percent: m.percentage?.value ?? 100 });
  }
  return out;
}

type CorsSpec = {
  allowOrigins?: { exact?: string; prefix?: string; regex?: string }[];
  allowOrigin?: string[];
  allowMethods?: string[];
  allowHeaders?: string[];
  exposeHeaders?: string[];
  maxAge?: string;
  allowCredentials?: boolean;
  unmatchedPreflights?: string;
};

/** pilot's translateCORSPolicy: origins as string matchers (the deprecated allowOrigin as exact ones), lists joined with `,`, maxAge in whole seconds. */
export function translateCors(c: CorsSpec | undefined): CorsPolicy | undefined {
  if (!c) return undefined;
  const allowOrigins: StringMatch[] = [];
  if (c.allowOrigins?.length) for (const o of c.allowOrigins) {
    const m = stringMatch(o);
    if (m) allowOrigins.push(m);
  }
  else for (const o of c.allowOrigin ?? []) allowOrigins.push({ exact: o });
  const maxAgeMs = parseDurationMs(c.maxAge);
  const join = (l: string[] | undefined) => (l && l.length > 0 ? l.join(',') : undefined);
  const allowMethods = join(c.allowMethods);
  const allowHeaders = join(c.allowHeaders);
  const exposeHeaders = join(c.exposeHeaders);
  return {
    allowOrigins,
    ...(allowMethods ? { allowMethods } : {}),
    ...(allowHeaders ? { allowHeaders } : {}),
    ...(exposeHeaders ? { exposeHeaders } : {}),
    ...(maxAgeMs !== undefined ? { maxAge: String(Math.floor(maxAgeMs / 1000)) } : {}),
    ...(c.allowCredentials !== undefined ? { allowCredentials: c.allowCredentials } : {}),
    forwardUnmatchedPreflights: c.unmatchedPreflights !== 'IGNORE',
  };
}

/**
 * The Envoy route of one HTTPRoute, for the gateway port `port` and gateway `gateway`
 * (`namespace/name`): undefined when every one of its match blocks names another port or
 * another gateway, as pilot leaves such a route out of that listener's table.
 */
export function translateHttpRoute(r: HTTPRoute, vs: { namespace: string; name: string }, ctx: { port: number; gateway: string; resolve: ClusterResolver }): Route | undefined {
  let matches: RouteMatch[] = [];
  if (r.match && r.match.length > 0) {
    for (const m of r.match) {
      if (m.port && m.port !== ctx.port) continue;
      if (m.gateways && m.gateways.length > 0 && !m.gateways.some((g) => qualifyGateway(g, vs.namespace) === ctx.gateway)) continue;
      const t = translateMatch(m);
      delete t.port;
      if (m.name) t.name = m.name;
      matches.push(t);
    }
    if (matches.length === 0) return undefined;
    // A block with nothing left in it matches everything.
    if (matches.some((m) => Object.keys(m).length === 0)) matches = [];
  }
  const headers = headerRules(r.headers);
  const fault = translateFault(r.fault);
  const cors = translateCors(r.corsPolicy as CorsSpec | undefined);
  return {
    name: r.name ?? '',
    matches,
    action: action(r, vs.namespace, ctx.resolve),
    ...(headers ? { headers } : {}),
    ...(fault ? { fault } : {}),
    ...(cors ? { cors } : {}),
  };
}

/**
 * A VirtualService's `tcp` routes as pilot gives a TCP destination's filter chain
 * (pilot/pkg/networking/core/networkfilter.go, buildOutboundNetworkFiltersWithWeightedClusters): the
 * routes whose match blocks take the port and gateway (a route without blocks takes all), each
 * block's conditions on the caller and on the original destination address (destinationSubnets,
 * a filter chain's prefix ranges in pilot) kept for the connection, the destinations by weight
 * (a lone one takes everything).
 */
export function translateTcpRoutes(routes: TCPRoute[], vs: { namespace: string }, ctx: { port: number; gateway: string; resolve: ClusterResolver }): TcpRoute[] {
  const out: TcpRoute[] = [];
  for (const r of routes) {
    let matches: TcpRoute['matches'] = [];
    if (r.match && r.match.length > 0) {
      for (const m of r.match) {
        if (m.port && m.port !== ctx.port) continue;
        if (m.gateways && m.gateways.length > 0 && !m.gateways.some((g) => qualifyGateway(g, vs.namespace) === ctx.gateway)) continue;
        matches.push({
          ...(m.sourceLabels && Object.keys(m.sourceLabels).length > 0 ? { sourceLabels: m.sourceLabels } : {}),
          ...(m.sourceNamespace ? { sourceNamespace: m.sourceNamespace } : {}),
          ...(m.destinationSubnets && m.destinationSubnets.length > 0 ? { destinationSubnets: m.destinationSubnets } : {}),
        });
      }
      if (matches.length === 0) continue;
      if (matches.some((m) => Object.keys(m).length === 0)) matches = [];
    }
    const route = r.route ?? [];
    const clusters: WeightedCluster[] = route.map((d) => ({ cluster: ctx.resolve(d.destination, vs.namespace) ?? '', weight: route.length === 1 ? 100 : (d.weight ?? 0) }));
    out.push({ matches, clusters });
  }
  return out;
}

/**
 * A gateway PASSTHROUGH server's routes from a VirtualService's `tls` blocks, as pilot's
 * buildGatewayNetworkFiltersFromTLSRoutes makes filter chains: one per match whose port and
 * gateways take the server, for the match's sniHosts; a match naming an SNI host an earlier one
 * (of this port, in `taken`) has is skipped, as pilot skips duplicates Envoy would reject.
 */
export function translateTlsRoutes(routes: TLSRoute[], vs: { namespace: string }, ctx: { port: number; gateway: string; resolve: ClusterResolver; taken: Set<string> }): SniRoute[] {
  const out: SniRoute[] = [];
  for (const r of routes) {
    for (const m of r.match ?? []) {
      if (m.port && m.port !== ctx.port) continue;
      if (m.gateways && m.gateways.length > 0 && !m.gateways.some((g) => qualifyGateway(g, vs.namespace) === ctx.gateway)) continue;
      const sniHosts = (m.sniHosts ?? []).map((h) => h.toLowerCase());
      if (sniHosts.length === 0 || sniHosts.some((h) => ctx.taken.has(h))) continue;
      for (const h of sniHosts) ctx.taken.add(h);
      const route = r.route ?? [];
      out.push({ sniHosts, clusters: route.map((d) => ({ cluster: ctx.resolve(d.destination, vs.namespace) ?? '', weight: route.length === 1 ? 100 : (d.weight ?? 0) })) });
    }
  }
  return out;
}

/** The reserved gateway name for every proxy of the mesh (the default when a VirtualService names no gateway). */
export const MESH_GATEWAY = 'mesh';

/** A gateway reference as a VirtualService writes it (`gw`, `ns/gw`), as `namespace/name`; `mesh` stays itself. */
export function qualifyGateway(ref: string, namespace: string): string {
  if (ref === MESH_GATEWAY) return ref;
  return ref.includes('/') ? ref : `${namespace}/${ref}`;
}

/** A route with no condition on the path or anything else: pilot moves these to the end when merging VirtualServices. */
export function isCatchAll(r: Route): boolean {
  return r.matches.length === 0 || r.matches.some((m) => Object.keys(m).length === 1 && m.uri !== undefined && 'prefix' in m.uri && m.uri.prefix === '/');
}
