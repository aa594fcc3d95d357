import net from 'node:net';
import type { Packet } from 'dns-packet';
import { ipv4InCIDR } from '../../cluster/ipv4.js';
import { udpForwarder, type NameserverAddress } from './client.js';

// Which nameservers the cluster DNS may forward to: the `forward .` targets (addresses, or the
// nameservers of a resolv.conf), as far as a pod can reach them through the cluster's egress.

/** The `nameserver` lines of a resolv.conf. */
export function resolvConfNameservers(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const [key, value] = raw.replace(/[#;].*$/, '').trim().split(/\s+/);
    if (key === 'nameserver' && value && net.isIP(value.replace(/%.*$/, ''))) out.push(value.replace(/%.*$/, ''));
  }
  return out;
}

/** `1.2.3.4`, `1.2.3.4:5353`, `[::1]:53`, `dns://1.2.3.4`; undefined for what is not an address. */
export function parseNameserver(target: string): NameserverAddress | undefined {
  const t = target.replace(/^dns:\/\//, '');
  if (net.isIP(t)) return { host: t, port: 53 };
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(t);
  if (m && net.isIP(m[1])) return { host: m[1], port: Number(m[2]) };
  return undefined;
}

/**
 * The nameservers a pod can reach: none with egress `none`; with a CIDR list only those in it;
 * never loopback (a pod's 127.0.0.1 is its own, e.g. systemd-resolved's 127.0.0.53 is not there).
 */
export function reachableNameservers(servers: NameserverAddress[], egress: string): NameserverAddress[] {
  const e = egress.trim();
  if (e === 'none') return [];
  const cidrs = e === 'all' || e === '' ? undefined : e.split(',').map((c) => c.trim()).filter(Boolean);
  return servers.filter((s) => {
    if (ipv4InCIDR(s.host, '127.0.0.0/8') || s.host === '::1') return false;
    return !cidrs || cidrs.some((c) => ipv4InCIDR(s.host, c));
  });
}

/** Asks each nameserver in turn until one answers, as `forward` does when an upstream is down. */
export function forwarderTo(servers: NameserverAddress[], timeoutMs = 2000): ((query: Packet) => Promise<Packet>) | undefined {
  if (servers.length === 0) return undefined;
  const ask = servers.map((s) => udpForwarder(s, { timeoutMs }));
  return async (query) => {
    let last: Error | undefined;
    for (const f of ask) {
      try {
        return await f(query);
      } catch (e) {
        last = e as Error;
      }
    }
    throw last ?? new Error('no upstream nameserver');
  };
}
