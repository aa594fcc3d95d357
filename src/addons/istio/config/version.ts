import { createHash } from 'node:crypto';
import type { Listener, ProxyConfig, Route, VirtualHost } from './types.js';

// A proxy configuration's version is the hash of its content, and istiod sends a proxy the very
// text it hashed: the document is serialized once per build, not again for each proxy that
// shares it (every ztunnel) — with a thousand VirtualServices a gateway's document is most of a
// megabyte, and each serialization is time before the change reaches the proxies. Routes and
// virtual hosts keep their text from build to build (RouteTranslations hands the unchanged ones
// back as the same objects), so a build serializes only what changed and joins the rest.

const serialized = new WeakMap<ProxyConfig, string>();
const routeText = new WeakMap<Route, string>();

function routeJson(r: Route): string {
  let text = routeText.get(r);
  if (text === undefined) routeText.set(r, (text = JSON.stringify(r)));
  return text;
}

/** `{...rest, key: raw}` as JSON, `raw` being JSON text already; `rest` has at least one key. */
function withRaw(rest: object, key: string, raw: string): string {
  const head = JSON.stringify(rest);
  return head === '{}' ? `{"${key}":${raw}}` : `${head.slice(0, -1)},"${key}":${raw}}`;
}

const virtualHostText = new WeakMap<VirtualHost, string>();

export function virtualHostJson(vh: VirtualHost): string {
  let text = virtualHostText.get(vh);
  if (text === undefined) {
    const { routes, ...rest } = vh;
    virtualHostText.set(vh, (text = withRaw(rest, 'routes', `[${routes.map(routeJson).join(',')}]`)));
  }
  return text;
}

function listenerJson(l: Listener): string {
  const { virtualHosts, ...rest } = l;
  return withRaw(rest, 'virtualHosts', `[${virtualHosts.map(virtualHostJson).join(',')}]`);
}

export function versioned(body: Omit<ProxyConfig, 'version'>): ProxyConfig {
  const { listeners, ...rest } = body;
  const json = withRaw(rest, 'listeners', `[${listeners.map(listenerJson).join(',')}]`);
  const version = createHash('sha256').update(json).digest('hex').slice(0, 16);
  const config: ProxyConfig = { version, ...body };
  serialized.set(config, `{"version":"${version}",${json.slice(1)}`);
  return config;
}

/** The configuration as one line of JSON: the text its version was computed from when versioned() built it. */
export function serialize(config: ProxyConfig): string {
  return serialized.get(config) ?? JSON.stringify(config);
}
