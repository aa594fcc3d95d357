// `skiff status`: whether the cluster's control plane runs, where, as which pid, for how long.
import { clusterPaths, readClusterConfig, serverURL, skiffHome } from '../cluster-home.js';
import { processUptimeSeconds, runningControlPlane } from '../control-plane-process.js';

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
  lines.push(`  nodes:   ${config.nodes}`, `  egress:  ${config.egress}`, `  state:   ${paths.dir}`);
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
