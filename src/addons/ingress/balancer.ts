import type { Endpoint } from '../proxy/endpoints.js';
import type { Upstream } from './routes.js';

// Round robin over an upstream's ready endpoints, ingress-nginx's default `load-balance`.
// The position is kept per upstream name, outside the route table, so that rebuilding the
// table (any Ingress, Service or endpoint change) does not send the next requests back to the
// first endpoint.

export class RoundRobin {
  private readonly next = new Map<string, number>();

  /**
   * The next endpoint not in `tried` (the endpoints that already failed this request, as
   * nginx's proxy_next_upstream skips them); undefined when every endpoint was tried.
   */
  pick(upstream: Upstream, tried?: ReadonlySet<string>): Endpoint | undefined {
    const eps = upstream.endpoints;
    const n = eps.length;
    if (n === 0) return undefined;
    let i = this.next.get(upstream.name) ?? 0;
    for (let k = 0; k < n; k++, i++) {
      const ep = eps[i % n]!;
      if (tried && tried.has(ep.key)) continue;
      this.next.set(upstream.name, (i + 1) % n);
      return ep;
    }
    return undefined;
  }

  /** Drops positions of upstreams that no longer exist. */
  retain(names: Iterable<string>): void {
    const keep = new Set(names);
    for (const name of this.next.keys()) if (!keep.has(name)) this.next.delete(name);
  }
}
