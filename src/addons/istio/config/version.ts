import { createHash } from 'node:crypto';
import type { ProxyConfig } from './types.js';

// A proxy configuration's version is the hash of its content, and istiod sends a proxy the very
// text it hashed: the document is serialized once per build, not again for each proxy that
// shares it (every ztunnel) — with a thousand VirtualServices a gateway's document is most of a
// megabyte, and each serialization is time before the change reaches the proxies.

const serialized = new WeakMap<ProxyConfig, string>();

export function versioned(body: Omit<ProxyConfig, 'version'>): ProxyConfig {
  const json = JSON.stringify(body);
  const version = createHash('sha256').update(json).digest('hex').slice(0, 16);
  const config: ProxyConfig = { version, ...body };
  // Key order as JSON.stringify(config) has it: version first, then the body's.
  serialized.set(config, json === '{}' ? `{"version":"${version}"}` : `{"version":"${version}",${json.slice(1)}`);
  return config;
}

/** The configuration as one line of JSON: the text its version was computed from when versioned() built it. */
export function serialize(config: ProxyConfig): string {
  return serialized.get(config) ?? JSON.stringify(config);
}
