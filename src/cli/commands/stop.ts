// `skiff stop`: stop the control plane and keep the cluster's state for the next `skiff up`.
import { join } from 'node:path';
import { clusterPaths, readClusterConfig, skiffHome, type ClusterPaths } from '../../cluster/home.js';
import { findServeProcesses, readPidFile, isServeProcess, removePidFile, stopServeProcess } from '../control-plane-process.js';

export const STOP_GRACE_MS = 10_000;

/**
 * Stops every control plane of the cluster: the recorded pid if its command line is this
 * cluster's, and any other found by command line (a pid file lost in a crash must not leak a
 * process). Returns how many were stopped.
 */
export async function stopControlPlanes(paths: ClusterPaths, name: string): Promise<number> {
  const pids = new Set<number>();
  const recorded = readPidFile(paths);
  if (recorded !== undefined && isServeProcess(recorded, paths.home, name)) pids.add(recorded);
  for (const pid of findServeProcesses(paths.home, name)) pids.add(pid);
  let stopped = 0;
  for (const pid of pids) {
    try {
      if ((await stopServeProcess(pid, paths.home, name, STOP_GRACE_MS)) !== 'not-running') stopped++;
    } catch (err) {
      throw new Error(`stopping the control plane (pid ${pid}): ${(err as Error).message}`);
    }
  }
  removePidFile(paths);
  return stopped;
}

/**
 * Stops a cluster's machine side like a power-off: agents, then every container (by cgroup),
 * cgroups and network namespaces. The API state stays; `up` rebuilds the rest.
 */
export async function stopNodes(paths: ClusterPaths, name: string): Promise<number> {
  const { stopAgents } = await import('../node-agents.js');
  const { stopPublishers } = await import('../host-port-publisher.js');
  const { removeClusterRuntime } = await import('../../node/cleanup.js');
  // First: its forwarder lives in node 1's namespace, which goes below.
  const publishers = await stopPublishers(paths, name, STOP_GRACE_MS);
  const agents = (await stopAgents(paths, name, STOP_GRACE_MS)) + publishers;
  try {
    await removeClusterRuntime(name, join(paths.dir, 'nodes'));
  } catch (err) {
    throw new Error(`removing the pods and networks: ${(err as Error).message}`);
  }
  return agents;
}

export async function stop(flags: { name: string }): Promise<number> {
  const paths = clusterPaths(skiffHome(), flags.name);
  if (!readClusterConfig(paths)) throw new Error(`no such cluster (nothing at ${paths.dir})`);
  const agents = await stopNodes(paths, flags.name);
  const stopped = (await stopControlPlanes(paths, flags.name)) + agents;
  process.stdout.write(stopped > 0 ? `Stopped cluster "${flags.name}"\n` : `Cluster "${flags.name}" is not running\n`);
  return 0;
}
