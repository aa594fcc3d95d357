// The node agents of a cluster: one process per node, started inside the node's network
// namespace, recognised again by its command line, stopped with SIGTERM then SIGKILL.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClusterPaths } from '../cluster/home.js';
import { running } from '../node/process-state.js';
import { cmdline, spawnDetached, terminate } from './processes.js';

export function nodeName(cluster: string, index: number): string {
  return `${cluster}-node-${index + 1}`;
}

export function nodeDir(paths: ClusterPaths, node: string): string {
  return join(paths.dir, 'nodes', node);
}

function agentEntry(): string {
  return fileURLToPath(new URL('../node/main.js', import.meta.url));
}

export function agentArgs(home: string, cluster: string, index: number): string[] {
  return [agentEntry(), '--cluster', cluster, '--home', home, '--node', nodeName(cluster, index), '--index', String(index)];
}


/** Whether pid is the agent of that node of that cluster (a pid file may point at anything by now). */
export function isAgentProcess(pid: number, home: string, cluster: string, node: string): boolean {
  const argv = cmdline(pid);
  if (!argv) return false;
  const i = argv.findIndex((a) => /[/\\]node[/\\]main\.js$/.test(a));
  if (i < 0) return false;
  const rest = argv.slice(i + 1);
  return rest[0] === '--cluster' && rest[1] === cluster && rest[2] === '--home' && rest[3] === home && rest[4] === '--node' && rest[5] === node;
}

/** Live agents of the cluster, found by command line. */
export function findAgents(home: string, cluster: string): { pid: number; node: string }[] {
  const out: { pid: number; node: string }[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const argv = cmdline(Number(e));
    if (!argv) continue;
    const i = argv.findIndex((a) => /[/\\]node[/\\]main\.js$/.test(a));
    if (i < 0) continue;
    const [f1, c, f2, h, f3, n] = argv.slice(i + 1);
    if (f1 === '--cluster' && c === cluster && f2 === '--home' && h === home && f3 === '--node') out.push({ pid: Number(e), node: n });
  }
  return out;
}

/** Starts the agents that are not running; each runs in its node namespace, logging to its node dir. */
export function startAgents(paths: ClusterPaths, cluster: string, nodes: number, enterNode: (index: number) => string[]): void {
  const running = new Set(findAgents(paths.home, cluster).map((a) => a.node));
  for (let i = 0; i < nodes; i++) {
    const node = nodeName(cluster, i);
    if (running.has(node)) continue;
    const dir = nodeDir(paths, node);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // nsenter keeps the host's mount namespace, so the pod namespaces the agent creates are
    // visible (and removable) from the host; `ip netns exec` would hide them.
    const pid = spawnDetached([...enterNode(i), process.execPath, ...agentArgs(paths.home, cluster, i)], dir, join(dir, 'agent.log'));
    if (pid) writeFileSync(join(dir, 'agent.pid'), `${pid}\n`);
  }
}

/** SIGTERM every agent of the cluster, SIGKILL what is left after graceMs. Returns how many there were. */
export async function stopAgents(paths: ClusterPaths, cluster: string, graceMs = 10_000): Promise<number> {
  const agents = findAgents(paths.home, cluster);
  await terminate(
    agents.map((a) => a.pid),
    () => agents.filter((a) => running(a.pid) && isAgentProcess(a.pid, paths.home, cluster, a.node)).map((a) => a.pid),
    graceMs,
  );
  for (const a of agents) rmSync(join(nodeDir(paths, a.node), 'agent.pid'), { force: true });
  return agents.length;
}
