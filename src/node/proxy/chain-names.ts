// Names of the per-service objects in the proxy's nftables table, built like upstream's nftables
// proxier: "<prefix><HASH>-<ns>/<svc>/<proto>/<port>[__<ip>/<port>]". The hash keeps names unique
// when truncated and makes chains of one service that differ in a digit easy to tell apart; the
// "/" (allowed in nft identifiers, never in Kubernetes names) marks a name as per-service.
import { createHash } from 'node:crypto';

/** nft identifiers may be up to 256 bytes; upstream reserves 16 for the prefix. */
const NAME_BASE_MAX = 256 - 16;
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

export function hashAndTruncate(name: string): string {
  const hashed = `${base32(createHash('sha256').update(name).digest()).slice(0, 8)}-${name}`;
  return hashed.length > NAME_BASE_MAX ? `${hashed.slice(0, NAME_BASE_MAX - 3)}...` : hashed;
}

export interface ServicePortName {
  namespace: string;
  name: string;
  /** Lower-case protocol: tcp, udp or sctp. */
  protocol: string;
  /** The port's name ('' for a single unnamed port). */
  port: string;
}

export function servicePortString(p: ServicePortName): string {
  return `${p.namespace}/${p.name}/${p.protocol}/${p.port}`;
}

export function servicePortChainBase(p: ServicePortName): string {
  return hashAndTruncate(servicePortString(p));
}

export function endpointChainBase(p: ServicePortName, endpoint: string): string {
  const i = endpoint.lastIndexOf(':');
  const ip = endpoint.slice(0, i).replace(/[\[\]]/g, '').replace(/:/g, '.');
  return hashAndTruncate(`${servicePortString(p)}__${ip}/${endpoint.slice(i + 1)}`);
}

export const chainPrefix = {
  cluster: 'service-',
  local: 'local-',
  external: 'external-',
  endpoint: 'endpoint-',
  affinity: 'affinity-',
} as const;
