import { createHash } from 'node:crypto';
import type { Cluster, Listener, ProxyConfig, Route, VirtualHost } from './types.js';

// A proxy configuration's version is a hash of its content, made of the hashes of its parts:
// each virtual host and each cluster is hashed once, when it is first seen, and a build hashes
// only the list of its parts' hashes. Routes and virtual hosts are the same objects from build
// to build while they do not change (RouteTranslations hands the unchanged ones back), so a
// change to one VirtualService among a thousand hashes that one virtual host and a list of a
// thousand short digests, not the whole document again — most of a megabyte for a gateway.
//
// The document's text is made only when a proxy must be sent the whole of it (its first
// configuration, or a change an incremental push cannot say), once per build however many
// proxies share it (every ztunnel), from the parts' texts, which are kept as long as the parts.

const text = new WeakMap<object, string>();
const digests = new WeakMap<object, string>();
const serialized = new WeakMap<ProxyConfig, string>();

function cached<T extends object>(o: T, make: (o: T) => string): string {
  let t = text.get(o);
  if (t === undefined) text.set(o, (t = make(o)));
  return t;
}

function digest(o: object, json: (o: never) => string): string {
  let d = digests.get(o);
  if (d === undefined) digests.set(o, (d = createHash('sha256').update(json(o as never)).digest('base64')));
  return d;
}

/** `{...rest, key: raw}` as JSON, `raw` being JSON text already. */
function withRaw(rest: object, key: string, raw: string): string {
  const head = JSON.stringify(rest);
  return head === '{}' ? `{"${key}":${raw}}` : `${head.slice(0, -1)},"${key}":${raw}}`;
}

const routeJson = (r: Route): string => cached(r, JSON.stringify);

export function virtualHostJson(vh: VirtualHost): string {
  return cached(vh, ({ routes, ...rest }) => withRaw(rest, 'routes', `[${routes.map(routeJson).join(',')}]`));
}

export function clusterJson(c: Cluster): string {
  return cached(c, JSON.stringify);
}

/** A listener without its virtual hosts, as JSON: what, besides them, a push must send whole when it changes. */
export function listenerShape(l: Listener): string {
  return cached(l, ({ virtualHosts: _, ...rest }) => JSON.stringify(rest));
}

function listenerJson(l: Listener): string {
  const { virtualHosts, ...rest } = l;
  return withRaw(rest, 'virtualHosts', `[${virtualHosts.map(virtualHostJson).join(',')}]`);
}

function clustersJson(clusters: Record<string, Cluster>): string {
  return `{${Object.entries(clusters).map(([name, c]) => `${JSON.stringify(name)}:${clusterJson(c)}`).join(',')}}`;
}

/** The JSON of `config`'s fields in their order, listeners and clusters given by `listeners` and `clusters`. */
function document(config: object, listeners: (ls: Listener[]) => string, clusters: (cs: Record<string, Cluster>) => string): string {
  const fields = Object.entries(config).map(([k, v]) => {
    if (v === undefined) return undefined;
    const raw = k === 'listeners' ? listeners(v as Listener[]) : k === 'clusters' ? clusters(v as Record<string, Cluster>) : JSON.stringify(v);
    return `${JSON.stringify(k)}:${raw}`;
  });
  return `{${fields.filter((f) => f !== undefined).join(',')}}`;
}

export function versioned(body: Omit<ProxyConfig, 'version'>): ProxyConfig {
  // Each part's digest stands for its text; a listener's shape and the small fields are taken as they are.
  const manifest = document(
    body,
    (ls) => `[${ls.map((l) => `[${listenerShape(l)},${l.virtualHosts.map((vh) => `"${digest(vh, virtualHostJson)}"`).join(',')}]`).join(',')}]`,
    (cs) => `{${Object.entries(cs).map(([name, c]) => `${JSON.stringify(name)}:"${digest(c, clusterJson)}"`).join(',')}}`,
  );
  const version = createHash('sha256').update(manifest).digest('hex').slice(0, 16);
  return { version, ...body };
}

/** The configuration as one line of JSON. */
export function serialize(config: ProxyConfig): string {
  let line = serialized.get(config);
  if (line === undefined) serialized.set(config, (line = document(config, (ls) => `[${ls.map(listenerJson).join(',')}]`, clustersJson)));
  return line;
}
