// What the publisher has published, written for `skiff status` (the publisher's memory is not
// reachable from the CLI; a file in the cluster directory is, even while the API is down).
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface PublishedListener {
  address: string;
  port: number;
  service: string;
  servicePort: string;
  serviceType: string;
  target: string;
}

export interface UnpublishedListener {
  address: string;
  port: number;
  service: string;
  servicePort: string;
  reason: string;
}

export interface HostPortsState {
  pid: number;
  updated: string;
  published: PublishedListener[];
  unpublished: UnpublishedListener[];
}

export function hostPortsStatePath(clusterDir: string): string {
  return join(clusterDir, 'host-ports.json');
}

export function writeHostPortsState(clusterDir: string, state: HostPortsState): void {
  const path = hostPortsStatePath(clusterDir);
  writeFileSync(`${path}.tmp`, JSON.stringify(state, null, 2) + '\n', { mode: 0o644 });
  renameSync(`${path}.tmp`, path);
}

/** undefined when nothing was ever written (or the file is damaged): the caller says "unknown". */
export function readHostPortsState(clusterDir: string): HostPortsState | undefined {
  try {
    const s = JSON.parse(readFileSync(hostPortsStatePath(clusterDir), 'utf8')) as HostPortsState;
    return Array.isArray(s.published) && Array.isArray(s.unpublished) ? s : undefined;
  } catch {
    return undefined;
  }
}

/** Sorted by address (numerically) then port, the order a reader scans in. */
export function compareHostPorts(a: { address: string; port: number }, b: { address: string; port: number }): number {
  const na = a.address.split('.').map(Number);
  const nb = b.address.split('.').map(Number);
  for (let i = 0; i < 4; i++) if (na[i] !== nb[i]) return (na[i] ?? 0) - (nb[i] ?? 0);
  return a.port - b.port;
}
