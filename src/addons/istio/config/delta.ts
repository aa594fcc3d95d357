import type { Cluster, Listener, ProxyConfig, VirtualHost } from './types.js';
import { clusterJson, listenerShape, virtualHostJson } from './version.js';

// Incremental pushes, as Envoy's delta xDS sends them: once a proxy holds a configuration,
// istiod sends it what changed — the virtual hosts that are new, different or gone, and the
// clusters likewise — instead of the whole document again. With a thousand VirtualServices a
// gateway's document is most of a megabyte; one VirtualService's change is a few hundred bytes,
// which the proxy merges into what it holds without parsing or compiling the rest. Whatever
// else changes (a listener, a credential, the mesh's workloads or DNS table) is sent whole.

export interface ProxyConfigDelta {
  version: string;
  /** The version the proxy must hold for this to apply. */
  base: string;
  /** Virtual hosts by listener port and key (virtualHostKey): the new one, or null when it is gone. */
  virtualHosts: { port: number; key: string; virtualHost: VirtualHost | null }[];
  /** Clusters by name: the new one, or null when it is gone. */
  clusters: Record<string, Cluster | null>;
}

export function isDelta(line: ProxyConfig | ProxyConfigDelta): line is ProxyConfigDelta {
  return typeof (line as ProxyConfigDelta).base === 'string';
}

/** A virtual host's identity within its listener: its domains (a gateway's host, a mesh destination's address). */
export function virtualHostKey(vh: VirtualHost): string {
  return vh.domains.join(',');
}

const keyed = new WeakMap<Listener, Map<string, VirtualHost> | null>();

/**
 * The virtual hosts of a listener by key; null when two share one. Kept with the listener: a
 * build's listener is the new side of one push and the old side of the next.
 */
function byKey(l: Listener): Map<string, VirtualHost> | null {
  let out = keyed.get(l);
  if (out !== undefined) return out;
  out = new Map<string, VirtualHost>();
  for (const vh of l.virtualHosts) {
    const k = virtualHostKey(vh);
    if (out.has(k)) {
      out = null;
      break;
    }
    out.set(k, vh);
  }
  keyed.set(l, out);
  return out;
}

/** The parts of a configuration a delta does not carry: a change to one is sent whole. */
const WHOLE_ONLY = ['secrets', 'workloads', 'dns', 'policies', 'dnsEndpoints'] as const;

/** What turns `from` into `to`; undefined when only the whole configuration can say it. */
export function configDelta(from: ProxyConfig, to: ProxyConfig): ProxyConfigDelta | undefined {
  if (from.listeners.length !== to.listeners.length) return undefined;
  if (WHOLE_ONLY.some((k) => JSON.stringify(from[k]) !== JSON.stringify(to[k]))) return undefined;
  const virtualHosts: ProxyConfigDelta['virtualHosts'] = [];
  for (let i = 0; i < to.listeners.length; i++) {
    const [a, b] = [from.listeners[i]!, to.listeners[i]!];
    if (a.port !== b.port || listenerShape(a) !== listenerShape(b)) return undefined;
    const before = byKey(a);
    const after = byKey(b);
    if (!before || !after) return undefined;
    for (const [key, vh] of after) {
      const old = before.get(key);
      if (old !== vh && (!old || virtualHostJson(old) !== virtualHostJson(vh))) virtualHosts.push({ port: b.port, key, virtualHost: vh });
    }
    for (const key of before.keys()) if (!after.has(key)) virtualHosts.push({ port: b.port, key, virtualHost: null });
  }
  const clusters: ProxyConfigDelta['clusters'] = {};
  for (const [name, c] of Object.entries(to.clusters)) {
    const old = from.clusters[name];
    if (old !== c && (!old || clusterJson(old) !== clusterJson(c))) clusters[name] = c;
  }
  for (const name of Object.keys(from.clusters)) if (!(name in to.clusters)) clusters[name] = null;
  return { version: to.version, base: from.version, virtualHosts, clusters };
}

/**
 * `config` with `delta` merged in: a changed virtual host takes the place of the old one, a new
 * one goes last; everything unchanged is the very object it was.
 */
export function applyDelta(config: ProxyConfig, delta: ProxyConfigDelta): ProxyConfig {
  if (delta.base !== config.version) throw new Error(`delta for version ${delta.base} does not apply to version ${config.version}`);
  const changes = new Map<number, Map<string, VirtualHost | null>>();
  for (const c of delta.virtualHosts) {
    let m = changes.get(c.port);
    if (!m) changes.set(c.port, (m = new Map()));
    m.set(c.key, c.virtualHost);
  }
  const listeners = config.listeners.map((l) => {
    const m = changes.get(l.port);
    if (!m) return l;
    changes.delete(l.port);
    const virtualHosts: VirtualHost[] = [];
    for (const vh of l.virtualHosts) {
      const key = virtualHostKey(vh);
      if (!m.has(key)) virtualHosts.push(vh);
      else {
        const next = m.get(key);
        m.delete(key);
        if (next) virtualHosts.push(next);
      }
    }
    for (const vh of m.values()) if (vh) virtualHosts.push(vh);
    return { ...l, virtualHosts };
  });
  if (changes.size > 0) throw new Error(`delta for version ${delta.version} changes listener ${[...changes.keys()].join(', ')}, which version ${config.version} does not have`);
  const clusters = { ...config.clusters };
  for (const [name, c] of Object.entries(delta.clusters)) {
    if (c) clusters[name] = c;
    else delete clusters[name];
  }
  return { ...config, version: delta.version, listeners, clusters };
}
