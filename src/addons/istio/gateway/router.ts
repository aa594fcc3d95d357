import type { Listener, Route, RouteMatch, StringMatch, ValueMatch, VirtualHost } from '../config/types.js';

// Envoy's route selection for one listener: the virtual host by the request's authority (exact
// name, then the longest `*.` suffix, then `*`; the port is ignored), then the first route whose
// match blocks admit the request. Regexes are compiled once per configuration, anchored as RE2's
// full match that Envoy applies.

export interface RequestFacts {
  method: string;
  path: string;
  /** Without the leading `?`. */
  query: string;
  scheme: 'http' | 'https';
  authority: string;
  header(name: string): string | undefined;
  /** The connection's original destination address (mesh listeners choose the virtual host by it). */
  destination?: string;
  /** The calling workload, when the proxy knows it (mesh). */
  source?: { namespace: string; labels: Record<string, string> };
}

export interface RouteChoice {
  route: Route;
  /** The match block that admitted the request (absent for a route without conditions). */
  match?: RouteMatch;
  virtualHost: VirtualHost;
}

type Test = (value: string) => boolean;

/** A string condition as a test, regexes anchored as RE2's full match. */
export function compileStringMatch(m: StringMatch, ignoreCase = false): Test {
  if ('exact' in m) {
    const want = ignoreCase ? m.exact.toLowerCase() : m.exact;
    return ignoreCase ? (v) => v.toLowerCase() === want : (v) => v === want;
  }
  if ('prefix' in m) {
    const want = ignoreCase ? m.prefix.toLowerCase() : m.prefix;
    return ignoreCase ? (v) => v.toLowerCase().startsWith(want) : (v) => v.startsWith(want);
  }
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${m.regex})$`);
  } catch {
    return () => false;
  }
  return (v) => re.test(v);
}

function compileValue(m: ValueMatch): (v: string | undefined) => boolean {
  if ('present' in m) return (v) => v !== undefined;
  const t = compileStringMatch(m);
  return (v) => v !== undefined && t(v);
}

/** A query parameter's value (decoded), '' for a bare name, undefined when absent. */
export function queryValue(query: string, name: string): string | undefined {
  if (!query) return undefined;
  for (const part of query.split('&')) {
    const eq = part.indexOf('=');
    const k = eq < 0 ? part : part.slice(0, eq);
    if (decodeURIComponentSafe(k) === name) return eq < 0 ? '' : decodeURIComponentSafe(part.slice(eq + 1));
  }
  return undefined;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

function compileMatch(m: RouteMatch): (r: RequestFacts) => boolean {
  const tests: ((r: RequestFacts) => boolean)[] = [];
  if (m.uri) {
    const t = compileStringMatch(m.uri, m.ignoreUriCase);
    tests.push((r) => t(r.path));
  }
  if (m.method) {
    const t = compileStringMatch(m.method);
    tests.push((r) => t(r.method));
  }
  if (m.scheme) {
    const t = compileStringMatch(m.scheme);
    tests.push((r) => t(r.scheme));
  }
  if (m.authority) {
    const t = compileStringMatch(m.authority);
    tests.push((r) => t(r.authority));
  }
  for (const [name, vm] of Object.entries(m.headers ?? {})) {
    const t = compileValue(vm);
    tests.push((r) => t(r.header(name)));
  }
  for (const [name, vm] of Object.entries(m.withoutHeaders ?? {})) {
    const t = compileValue(vm);
    tests.push((r) => !t(r.header(name)));
  }
  for (const [name, vm] of Object.entries(m.queryParams ?? {})) {
    const t = compileValue(vm);
    tests.push((r) => t(queryValue(r.query, name)));
  }
  if (m.sourceLabels || m.sourceNamespace !== undefined) tests.push((r) => sourceMatches(m, r.source));
  return (r) => tests.every((t) => t(r));
}

/** A match's conditions on the calling workload (mesh only): all its labels, its namespace. */
export function sourceMatches(m: { sourceLabels?: Record<string, string>; sourceNamespace?: string }, source: { namespace: string; labels: Record<string, string> } | undefined): boolean {
  if (m.sourceLabels && !(source && Object.entries(m.sourceLabels).every(([k, v]) => source.labels[k] === v))) return false;
  return m.sourceNamespace === undefined || source?.namespace === m.sourceNamespace;
}

interface CompiledRoute {
  route: Route;
  matches: { match: RouteMatch; test: (r: RequestFacts) => boolean }[];
}

interface CompiledHost {
  host: VirtualHost;
  routes: CompiledRoute[];
}

/** Virtual hosts compiled once, for every ListenerRoutes built while they stay the same objects. */
export type HostCompilations = WeakMap<VirtualHost, CompiledHost>;

function compileHost(vh: VirtualHost): CompiledHost {
  return { host: vh, routes: vh.routes.map((route) => ({ route, matches: route.matches.map((match) => ({ match, test: compileMatch(match) })) })) };
}

export class ListenerRoutes {
  private readonly exact = new Map<string, CompiledHost>();
  private readonly wildcards: { suffix: string; host: CompiledHost }[] = [];
  private star: CompiledHost | undefined;

  constructor(
    readonly listener: Listener,
    compilations: HostCompilations = new WeakMap(),
  ) {
    for (const vh of listener.virtualHosts) {
      let compiled = compilations.get(vh);
      if (!compiled) compilations.set(vh, (compiled = compileHost(vh)));
      for (const d of vh.domains) {
        const domain = d.toLowerCase();
        if (domain === '*') this.star ??= compiled;
        else if (domain.startsWith('*.')) this.wildcards.push({ suffix: domain.slice(1), host: compiled });
        else if (!this.exact.has(domain)) this.exact.set(domain, compiled);
      }
    }
    this.wildcards.sort((a, b) => b.suffix.length - a.suffix.length);
  }

  virtualHost(authority: string): CompiledHost | undefined {
    const host = stripPort(authority).toLowerCase();
    const exact = this.exact.get(host);
    if (exact) return exact;
    for (const w of this.wildcards) if (host.length > w.suffix.length && host.endsWith(w.suffix)) return w.host;
    return this.star;
  }

  /** The route for a request, or undefined (Envoy's NR: 404). */
  select(r: RequestFacts): RouteChoice | undefined {
    const vh = this.listener.mesh ? this.exact.get(r.destination ?? '') : this.virtualHost(r.authority);
    if (!vh) return undefined;
    for (const cr of vh.routes) {
      if (cr.matches.length === 0) return { route: cr.route, virtualHost: vh.host };
      for (const m of cr.matches) if (m.test(r)) return { route: cr.route, match: m.match, virtualHost: vh.host };
    }
    return undefined;
  }
}

export function stripPort(authority: string): string {
  if (authority.startsWith('[')) {
    const end = authority.indexOf(']');
    return end > 0 ? authority.slice(0, end + 1) : authority;
  }
  const colon = authority.lastIndexOf(':');
  return colon >= 0 ? authority.slice(0, colon) : authority;
}

/**
 * Envoy's prefix_rewrite, which pilot sets from `rewrite.uri`: the matched prefix is replaced
 * (the whole path for an exact or regex match, `/` when the route has no path condition).
 */
export function rewritePath(path: string, match: RouteMatch | undefined, uri: string): string {
  const m = match?.uri;
  if (m && 'prefix' in m) return uri + path.slice(m.prefix.length);
  if (m) return uri;
  return uri + path.slice(1);
}
