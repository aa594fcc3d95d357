import type { KObject } from '../../../api/types.js';
import { translateHttpRoute, type ClusterResolver, type HTTPRoute } from './routes.js';
import type { Route, VirtualHost } from './types.js';

// The Envoy routes of VirtualServices, and the virtual hosts made of them, kept from one build
// of a proxy's configuration to the next, as pilot's xDS cache keeps what an unchanged config
// translated to: a change to one VirtualService among a thousand re-translates that one, and
// every virtual host it has no part in is the very object of the last build (so its text is
// not made again, and a push can send the proxy only the hosts that changed). One instance per
// proxy configuration that istiod builds. A VirtualService's routes depend on
// its spec (a new object whenever it changes), on the listener they are for (gateway and
// port), on the proxy (its namespace orders DestinationRule lookup and narrows ServiceEntry
// exportTo) and on the registry its destinations resolve in; a registry that is not the very
// same lists as last time starts the cache afresh. A route taken from the cache resolves its
// destinations again, so the build still gets the clusters it names.

/** A destination the translation resolved, and the cluster it resolved to. */
type Resolution = [...Parameters<ClusterResolver>, string | undefined];

interface Translated {
  /** The routes of the VirtualService's HTTPRoutes that have one for this listener, in order. */
  routes: Route[];
  /** The destinations the translation resolved, in order. */
  resolved: Resolution[];
}

interface BuiltHost {
  parts: readonly unknown[];
  host: VirtualHost;
}

export class RouteTranslations {
  private registry: readonly unknown[] = [];
  private byVirtualService = new WeakMap<KObject, Map<string, Translated>>();
  /** Virtual hosts by key: those of the last build, and those of this one (what the next build can reuse). */
  private lastHosts = new Map<string, BuiltHost>();
  private hosts = new Map<string, BuiltHost>();

  /** Starts a build against `registry` (the lists destinations resolve in); a different one empties the cache. */
  begin(registry: readonly unknown[]): void {
    this.lastHosts = this.hosts;
    this.hosts = new Map();
    if (registry.length === this.registry.length && registry.every((r, i) => r === this.registry[i])) return;
    this.registry = registry;
    this.byVirtualService = new WeakMap();
    this.lastHosts = new Map();
  }

  /**
   * The virtual host `key` (unique within the build) made of `parts`: the last build's when its
   * parts were the same (===, in order), else `make()`'s.
   */
  virtualHost(key: string, parts: readonly unknown[], make: () => VirtualHost): VirtualHost {
    const last = this.lastHosts.get(key);
    const built = last && last.parts.length === parts.length && last.parts.every((p, i) => p === parts[i]) ? last : { parts, host: make() };
    this.hosts.set(key, built);
    return built.host;
  }

  /**
   * The routes of `vs`'s HTTPRoutes for one listener (`scope` names the proxy, gateway and port
   * they are translated for), in order, those without a route for it left out. The same array
   * for as long as the translation holds: callers must not change it.
   */
  routes(vs: KObject, http: HTTPRoute[], scope: string, ctx: { port: number; gateway: string; resolve: ClusterResolver; has(cluster: string): boolean }): Route[] {
    let scopes = this.byVirtualService.get(vs);
    const hit = scopes?.get(scope);
    if (hit) {
      for (const [destination, namespace, cluster] of hit.resolved) if (cluster !== undefined && !ctx.has(cluster)) ctx.resolve(destination, namespace);
      return hit.routes;
    }
    const resolved: Resolution[] = [];
    const resolve: ClusterResolver = (destination, namespace) => {
      const cluster = ctx.resolve(destination, namespace);
      resolved.push([destination, namespace, cluster]);
      return cluster;
    };
    const id = { namespace: vs.metadata.namespace ?? '', name: vs.metadata.name ?? '' };
    const routes: Route[] = [];
    for (const r of http) {
      const route = translateHttpRoute(r, id, { port: ctx.port, gateway: ctx.gateway, resolve });
      if (route) routes.push(route);
    }
    if (!scopes) this.byVirtualService.set(vs, (scopes = new Map()));
    scopes.set(scope, { routes, resolved });
    return routes;
  }
}
