import type { KObject } from '../../../api/types.js';
import { translateHttpRoute, type ClusterResolver, type HTTPRoute } from './routes.js';
import type { Route } from './types.js';

// The Envoy routes of VirtualServices kept from one build of a proxy's configuration to the
// next, as pilot's xDS cache keeps what an unchanged config translated to: a change to one
// VirtualService among a thousand re-translates that one. A VirtualService's routes depend on
// its spec (a new object whenever it changes), on the listener they are for (gateway and
// port), on the proxy (its namespace orders DestinationRule lookup and narrows ServiceEntry
// exportTo) and on the registry its destinations resolve in; a registry that is not the very
// same lists as last time starts the cache afresh. A route taken from the cache resolves its
// destinations again, so the build still gets the clusters it names.

type Resolution = Parameters<ClusterResolver>;

interface Translated {
  /** The routes of the VirtualService's HTTPRoutes that have one for this listener, in order. */
  routes: Route[];
  /** The destinations the translation resolved, in order. */
  resolved: Resolution[];
}

export class RouteTranslations {
  private registry: readonly unknown[] = [];
  private byVirtualService = new WeakMap<KObject, Map<string, Translated>>();

  /** Starts a build against `registry` (the lists destinations resolve in); a different one empties the cache. */
  begin(registry: readonly unknown[]): void {
    if (registry.length === this.registry.length && registry.every((r, i) => r === this.registry[i])) return;
    this.registry = registry;
    this.byVirtualService = new WeakMap();
  }

  /**
   * The routes of `vs`'s HTTPRoutes for one listener (`scope` names the proxy, gateway and port
   * they are translated for), in order, those without a route for it left out. The same array
   * for as long as the translation holds: callers must not change it.
   */
  routes(vs: KObject, http: HTTPRoute[], scope: string, ctx: { port: number; gateway: string; resolve: ClusterResolver }): Route[] {
    let scopes = this.byVirtualService.get(vs);
    const hit = scopes?.get(scope);
    if (hit) {
      for (const r of hit.resolved) ctx.resolve(...r);
      return hit.routes;
    }
    const resolved: Resolution[] = [];
    const resolve: ClusterResolver = (destination, namespace) => {
      resolved.push([destination, namespace]);
      return ctx.resolve(destination, namespace);
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
