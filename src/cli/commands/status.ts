// `skiff status`: whether the cluster's control plane runs, where, as which pid, for how long.
import { clusterPaths, readClusterConfig, serverURL, skiffHome } from '../../cluster/home.js';
import { processUptimeSeconds, runningControlPlane } from '../control-plane-process.js';
import { readHostPortsState, type HostPortsState } from '../../node/network/host-ports/status-file.js';

/** Go-style duration, as kubectl prints ages: 45s, 3m12s, 2h5m, 3d4h. */
export function formatUptime(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (d > 0) return `${d}d${h}h`;
  if (h > 0) return `${h}h${m}m`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

export async function status(flags: { name: string }): Promise<number> {
  const paths = clusterPaths(skiffHome(), flags.name);
  const config = readClusterConfig(paths);
  if (!config) throw new Error(`no such cluster (nothing at ${paths.dir})`);
  const pid = runningControlPlane(paths, config.name);
  const lines = [`Cluster "${config.name}" is ${pid === undefined ? 'stopped' : 'running'}`, `  address: ${serverURL(config)}`];
  if (pid !== undefined) {
    lines.push(`  pid:     ${pid}`);
    const up = processUptimeSeconds(pid);
    if (up !== undefined) lines.push(`  uptime:  ${formatUptime(up)}`);
  }
  lines.push(`  nodes:   ${config.nodes}`, `  egress:  ${config.egress}`);
  if (config.publishAddress) lines.push(`  publish: 127.0.0.1 (NodePorts), LoadBalancer addresses, ${config.publishAddress}`);
  lines.push(`  state:   ${paths.dir}`);
  if (config.nodes > 0 && pid !== undefined) {
    const { findPublishers } = await import('../host-port-publisher.js');
    const running = findPublishers(paths.home, config.name).length > 0;
    lines.push(...publishedLines(running ? readHostPortsState(paths.dir) : undefined, running));
  }
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

/** Where Services answer on the host, as `curl` would be pointed at them. */
export function publishedLines(state: HostPortsState | undefined, running: boolean): string[] {
  if (!running) return ['  services: not published (the host-port publisher is not running)'];
  if (!state) return ['  services: (the host-port publisher has not reported yet)'];
  if (state.published.length === 0 && state.unpublished.length === 0) return ['  services: none published'];
  const out = ['  services:'];
  for (const p of state.published) out.push(`    ${p.address}:${p.port}  ${p.service}:${p.servicePort} (${p.serviceType})`);
  for (const u of state.unpublished) out.push(`    ${u.address}:${u.port}  ${u.service}:${u.servicePort} NOT PUBLISHED: ${u.reason}`);
  return out;
}
