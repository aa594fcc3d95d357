import type { KObject } from '../../../api/types.js';
import { translateHttpRoute, type ClusterResolver, type HTTPRoute } from './routes.js';
import type { Cluster, Route, VirtualHost } from './types.js';

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
// destinations again, so the build still gets the clusters it names. Clusters are kept the
// same way, by what they were built from, so an unchanged one is not hashed or compared again.

/** A destination the translation resolved, and the cluster it resolved to. */
type Resolution = [...Parameters<ClusterResolver>, string | undefined];

interface Translated {
  /** The routes of the VirtualService's HTTPRoutes that have one for this listener, in order. */
  routes: Route[];
  /** The destinations the translation resolved, in order. */
  resolved: Resolution[];
}

interface Built<T> {
  parts: readonly unknown[];
  value: T;
  /** The build that last used it. */
  build: number;
}

/**
 * Values by key, each kept from the last build for as long as the parts it is made of are the
 * same (===, in order). One map for every build, what the last build did not use let go when the
 * next begins, rather than a map made anew each time: with a thousand virtual hosts that map
 * was most of what a build left to the garbage collector.
 */
class Reuse<T> {
  private readonly built = new Map<string, Built<T>>();
  private build = 0;

  /** Starts a build: what the last one used is what this one can reuse. */
  next(keepLast = true): void {
    if (!keepLast) this.built.clear();
    for (const [key, b] of this.built) if (b.build !== this.build) this.built.delete(key);
    this.build++;
  }

  get(key: string, parts: readonly unknown[], make: () => T): T {
    const last = this.built.get(key);
    if (last && same(last.parts, parts)) {
      last.build = this.build;
      return last.value;
    }
    const value = make();
    this.built.set(key, { parts, value, build: this.build });
    return value;
  }
}

function same(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class RouteTranslations {
  private registry: readonly unknown[] = [];
  private byVirtualService = new WeakMap<KObject, Map<string, Translated>>();
  private readonly hosts = new Reuse<VirtualHost>();
  private readonly clusters = new Reuse<Cluster>();

  /** Starts a build against `registry` (the lists destinations resolve in); a different one empties the cache of routes. */
  begin(registry: readonly unknown[]): void {
    this.clusters.next();
    const unchanged = same(registry, this.registry);
    this.hosts.next(unchanged);
    if (unchanged) return;
    this.registry = registry;
    this.byVirtualService = new WeakMap();
  }

  /**
   * The virtual host `key` (unique within the build) made of `parts`: the last build's when its
   * parts were the same (===, in order), else `make()`'s.
   */
  virtualHost(key: string, parts: readonly unknown[], make: () => VirtualHost): VirtualHost {
    return this.hosts.get(key, parts, make);
  }

  /** The cluster `name` made of `parts` (the objects it is built from): the last build's when they were the same, else `make()`'s. */
  cluster(name: string, parts: readonly unknown[], make: () => Cluster): Cluster {
    return this.clusters.get(name, parts, make);
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
