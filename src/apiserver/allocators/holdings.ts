import type { KObject } from '../../api/types.js';
import type { Store } from '../../storage/store.js';

export const SERVICES = 'core/services';

/** Index keys: one namespace per allocator, so an IP and a port never collide. */
export const clusterIPKey = (ip: string) => `ip:${ip}`;
export const nodePortKey = (port: number) => `port:${port}`;
export const loadBalancerKey = (ip: string) => `lb:${ip}`;

interface HeldSpec {
  type?: string;
  clusterIPs?: string[];
  clusterIP?: string;
  ports?: { nodePort?: number }[];
  healthCheckNodePort?: number;
}
interface HeldStatus {
  loadBalancer?: { ingress?: { ip?: string }[] };
}

/** The addresses and ports a stored Service holds. */
export function heldBy(svc: KObject): string[] {
  const spec = (svc.spec ?? {}) as HeldSpec;
  const keys: string[] = [];
  if (spec.type !== 'ExternalName') {
    const ips = Array.isArray(spec.clusterIPs) ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : [];
    for (const ip of ips) if (ip && ip !== 'None') keys.push(clusterIPKey(ip));
  }
  for (const p of Array.isArray(spec.ports) ? spec.ports : []) if (p?.nodePort) keys.push(nodePortKey(p.nodePort));
  if (spec.healthCheckNodePort) keys.push(nodePortKey(spec.healthCheckNodePort));
  const ingress = (svc.status as HeldStatus | undefined)?.loadBalancer?.ingress;
  for (const i of Array.isArray(ingress) ? ingress : []) if (i?.ip) keys.push(loadBalancerKey(i.ip));
  return keys;
}

/**
 * Who holds what, derived from the stored Services only: built by scanning them and kept
 * current by the store's change feed, which runs synchronously inside every write. There is
 * no bitmap of its own to persist or lose: after a restart, or a delete on any path, the
 * index is what storage says. A key may have several owners (a status written by hand can
 * repeat an address); it is free only when none is left.
 */
export class HoldingsIndex {
  private owners = new Map<string, Set<string>>();
  private held = new Map<string, string[]>();

  /** Replaces what `owner` ("namespace/name") holds. */
  set(owner: string, keys: string[]): void {
    this.remove(owner);
    if (keys.length === 0) return;
    this.held.set(owner, keys);
    for (const k of keys) {
      let s = this.owners.get(k);
      if (!s) this.owners.set(k, (s = new Set()));
      s.add(owner);
    }
  }

  remove(owner: string): void {
    for (const k of this.held.get(owner) ?? []) {
      const s = this.owners.get(k);
      s?.delete(owner);
      if (s?.size === 0) this.owners.delete(k);
    }
    this.held.delete(owner);
  }

  /** Held by anyone but `owner` (pass undefined to ask about anyone at all). */
  usedByOther(key: string, owner?: string): boolean {
    const s = this.owners.get(key);
    if (!s) return false;
    return owner === undefined ? s.size > 0 : s.size > (s.has(owner) ? 1 : 0);
  }

  /** Scans the stored Services and follows their changes from then on. */
  static follow(store: Store): HoldingsIndex {
    const idx = new HoldingsIndex();
    for (const e of store.list(SERVICES)) idx.set(`${e.namespace}/${e.name}`, heldBy(JSON.parse(e.json) as KObject));
    store.watch(SERVICES, undefined, undefined, (ev) => {
      const owner = `${ev.namespace}/${ev.name}`;
      if (ev.type === 'DELETED') idx.remove(owner);
      else idx.set(owner, heldBy(JSON.parse(ev.json) as KObject));
    });
    return idx;
  }
}
