import { readFileSync } from 'node:fs';

/**
 * IPv4 addresses something on the host listens on with TCP (from /proc/net/tcp, the API
 * server's own network namespace, which is the host's). Another skiff cluster's host-port
 * publisher holds its LoadBalancer addresses this way, so new addresses skip them rather than
 * collide on the same 127.0.10.x:80. Wildcard listeners (0.0.0.0) name no address and are left out.
 */
export function hostListeningAddresses(path = '/proc/net/tcp'): Set<string> {
  const out = new Set<string>();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    // f[1] is "AABBCCDD:PORT" with the address in host byte order (little-endian here); 0A is LISTEN.
    if (f.length < 4 || f[3] !== '0A') continue;
    const hex = f[1].split(':')[0];
    if (hex.length !== 8 || hex === '00000000') continue;
    const b = [6, 4, 2, 0].map((i) => parseInt(hex.slice(i, i + 2), 16));
    out.add(b.join('.'));
  }
  return out;
}
