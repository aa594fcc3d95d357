import fs from 'node:fs/promises';
import net from 'node:net';
import type { Answer, Question } from 'dns-packet';
import { addressFromReverse, ipKey } from './records.js';

// Names of the host's /etc/hosts, answered as CoreDNS's `hosts` plugin does: A/AAAA for the
// names, PTR for the addresses, NODATA when the name is listed without that record type.

/** CoreDNS hosts plugin default TTL. */
export const HOSTS_TTL = 3600;

export interface HostsTable {
  byName: Map<string, string[]>;
  byAddress: Map<string, string[]>;
}

export function parseHosts(text: string): HostsTable {
  const table: HostsTable = { byName: new Map(), byAddress: new Map() };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const [addr, ...names] = line.split(/\s+/);
    // Zone-scoped IPv6 ("fe80::1%lo") cannot go in an AAAA record.
    if (!net.isIP(addr) || names.length === 0) continue;
    const key = ipKey(addr);
    for (const n of names) {
      const name = n.toLowerCase().replace(/\.$/, '');
      const ips = table.byName.get(name) ?? [];
      if (!ips.includes(addr)) ips.push(addr);
      table.byName.set(name, ips);
      const hs = table.byAddress.get(key) ?? [];
      if (!hs.includes(name)) hs.push(name);
      table.byAddress.set(key, hs);
    }
  }
  return table;
}

/**
 * The hosts file's answer to a question: records, an empty list for NODATA (the name is
 * listed, not with this type), or undefined when the file does not know the name.
 */
export function lookupHosts(table: HostsTable, q: Question): Answer[] | undefined {
  const qname = q.name.replace(/\.$/, '');
  const name = qname.toLowerCase();
  if (q.type === 'PTR') {
    const ip = addressFromReverse(name);
    const names = ip ? table.byAddress.get(ipKey(ip)) : undefined;
    if (!names) return undefined;
    return names.map((n) => ({ name: qname, type: 'PTR', class: 'IN', ttl: HOSTS_TTL, data: n }) as Answer);
  }
  const ips = table.byName.get(name);
  if (!ips) return undefined;
  const family = q.type === 'A' ? 4 : q.type === 'AAAA' ? 6 : 0;
  return ips
    .filter((ip) => net.isIP(ip) === family)
    .map((ip) => ({ name: qname, type: family === 4 ? 'A' : 'AAAA', class: 'IN', ttl: HOSTS_TTL, data: ip }) as Answer);
}

/** Rereads the file only when it changed, so edits to /etc/hosts take effect without a restart. */
export class HostsFile {
  private table: HostsTable = { byName: new Map(), byAddress: new Map() };
  private stamp = '';

  constructor(readonly path: string) {}

  async current(): Promise<HostsTable> {
    try {
      const st = await fs.stat(this.path);
      const stamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
      if (stamp !== this.stamp) {
        this.table = parseHosts(await fs.readFile(this.path, 'utf8'));
        this.stamp = stamp;
      }
    } catch {
      // A missing hosts file is an empty one; the last good table would be stale.
      this.table = { byName: new Map(), byAddress: new Map() };
      this.stamp = '';
    }
    return this.table;
  }
}
