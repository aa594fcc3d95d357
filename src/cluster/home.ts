// Where a cluster's state lives on disk, and its record (cluster.json).
import { readFileSync, writeFileSync, renameSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { API_TLS_SOCKET_NAME, DEFAULT_CLUSTER_NAME } from './constants.js';

export interface ClusterConfig {
  name: string;
  port: number;
  created: string; // RFC 3339
  nodes: number;
  egress: string; // 'all' | 'none' | comma-separated IPv4 CIDRs
  /** An extra host address on which NodePorts and LoadBalancer ports are published (for a LAN). */
  publishAddress?: string;
  /** Where containers' images come from: auto (the default), registry or builtin (src/images/image-manager.ts). */
  images?: 'auto' | 'registry' | 'builtin';
}

export interface ClusterPaths {
  home: string;
  dir: string;
  config: string;
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  token: string;
  /** The key that signs ServiceAccount tokens (kubeadm's pki/sa.key); only the control plane reads it. */
  serviceAccountKey: string;
  stateDir: string;
  socket: string;
  /** The API server's HTTPS on a unix socket, relayed into the node namespaces for pods. */
  tlsSocket: string;
  pid: string;
  log: string;
  /** metrics-server's serving certificate and key, signed by the cluster CA (made by `skiff up`). */
  metricsServerCert: string;
  metricsServerKey: string;
  istiodCert: string;
  istiodKey: string;
}

/** A node's kubelet serving certificate and key (port 10250), signed by the cluster CA, in the node's directory. */
export function kubeletServingFiles(nodeDir: string): { cert: string; key: string } {
  return { cert: join(nodeDir, 'kubelet.crt'), key: join(nodeDir, 'kubelet.key') };
}

export function skiffHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SKIFF_HOME) return resolve(env.SKIFF_HOME);
  if (process.getuid?.() === 0) return '/var/lib/skiff';
  return join(homedir(), '.local', 'share', 'skiff');
}

export function clusterPaths(home: string, name: string): ClusterPaths {
  const dir = join(home, 'clusters', name);
  return {
    home,
    dir,
    config: join(dir, 'cluster.json'),
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    serverCert: join(dir, 'apiserver.crt'),
    serverKey: join(dir, 'apiserver.key'),
    token: join(dir, 'admin.token'),
    serviceAccountKey: join(dir, 'sa.key'),
    stateDir: join(dir, 'state'),
    socket: join(dir, 'api.sock'),
    tlsSocket: join(dir, API_TLS_SOCKET_NAME),
    pid: join(dir, 'control-plane.pid'),
    log: join(dir, 'control-plane.log'),
    metricsServerCert: join(dir, 'metrics-server.crt'),
    metricsServerKey: join(dir, 'metrics-server.key'),
    istiodCert: join(dir, 'istiod.crt'),
    istiodKey: join(dir, 'istiod.key'),
  };
}

/** The kubeconfig cluster, user and context name: `skiff` for the default cluster, like kind's `kind-<name>` otherwise. */
export function contextName(name: string): string {
  return name === DEFAULT_CLUSTER_NAME ? DEFAULT_CLUSTER_NAME : `skiff-${name}`;
}

export function serverURL(config: ClusterConfig): string {
  return `https://127.0.0.1:${config.port}`;
}

/** Reads cluster.json; undefined when the cluster does not exist. */
export function readClusterConfig(paths: ClusterPaths): ClusterConfig | undefined {
  let text: string;
  try {
    text = readFileSync(paths.config, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`reading ${paths.config}: ${(err as Error).message}`);
  }
  let parsed: Partial<ClusterConfig>;
  try {
    parsed = JSON.parse(text) as Partial<ClusterConfig>;
  } catch (err) {
    throw new Error(`reading ${paths.config}: ${(err as Error).message}`);
  }
  if (typeof parsed.name !== 'string' || typeof parsed.port !== 'number' || typeof parsed.created !== 'string') {
    throw new Error(`reading ${paths.config}: name, port and created are required`);
  }
  return {
    name: parsed.name,
    port: parsed.port,
    created: parsed.created,
    nodes: typeof parsed.nodes === 'number' ? parsed.nodes : 1,
    egress: typeof parsed.egress === 'string' ? parsed.egress : 'all',
    ...(typeof parsed.publishAddress === 'string' ? { publishAddress: parsed.publishAddress } : {}),
    ...(parsed.images === 'registry' || parsed.images === 'builtin' || parsed.images === 'auto' ? { images: parsed.images } : {}),
  };
}

/** Written through a rename so a crash never leaves a half-written record. */
export function writeClusterConfig(paths: ClusterPaths, config: ClusterConfig): void {
  const tmp = `${paths.config}.tmp`;
  writeFileSync(tmp, JSON.stringify(config, null, 2) + '\n', { mode: 0o644 });
  renameSync(tmp, paths.config);
}

/** Ports recorded by the other clusters in this home, so a stopped cluster keeps its port. */
export function portsOfOtherClusters(home: string, name: string): Set<number> {
  const ports = new Set<number>();
  let names: string[];
  try {
    names = readdirSync(join(home, 'clusters'));
  } catch {
    return ports;
  }
  for (const other of names) {
    if (other === name) continue;
    try {
      const c = readClusterConfig(clusterPaths(home, other));
      if (c) ports.add(c.port);
    } catch {
      // A damaged record elsewhere must not stop this cluster from starting.
    }
  }
  return ports;
}
