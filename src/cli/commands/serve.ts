// `skiff serve --name N --home H [--kube-controller-manager-arg F]…` (hidden): the control-plane
// process that `skiff up` starts detached. It reads the cluster directory, runs the API server,
// the controller manager (with the flags up was given) and the scheduler until SIGTERM/SIGINT,
// and records its pid once it holds the port.
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { clusterPaths, readClusterConfig, skiffHome, serverURL, type ClusterConfig, type ClusterPaths } from '../../cluster/home.js';
import { API_RELAY_PORT } from '../../cluster/constants.js';
import { removePidFile, writePidFile } from '../control-plane-process.js';
import { log } from '../../log.js';
import type { ApiEndpoint } from '../../apiserver/bootstrap.js';
import { startControlPlane, type ControlPlaneOptions } from '../../apiserver/server.js';
import { generateSigningKey } from '../../apiserver/serviceaccount/jwt.js';
import { ApiClient } from '../../client/client.js';
import { SharedInformers, stripManagedFields } from '../../client/informer.js';
import { startControllers, type ControllerOptions } from '../../controllers/manager.js';
import { parseControllerManagerFlags } from '../../controllers/options.js';
import { nodeAddress } from '../../node/network/names.js';
import { startScheduler } from '../../scheduler/index.js';

/** A socket file left by a control plane that died: remove it; one still answering: refuse. */
function clearStaleSocket(path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = connect(path);
    sock.once('connect', () => {
      sock.destroy();
      reject(new Error(`another process is serving the node socket ${path}`));
    });
    sock.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') {
        try {
          unlinkSync(path);
        } catch {
          // Removed meanwhile.
        }
      }
      resolve();
    });
  });
}

/**
 * SKIFF_NODE_MONITOR_GRACE_PERIOD (seconds) shortens how long a silent node stays Ready, as
 * kube-controller-manager's --node-monitor-grace-period does; tests of node failure use it.
 */
function gracePeriodFromEnv(): number | undefined {
  const v = process.env.SKIFF_NODE_MONITOR_GRACE_PERIOD;
  if (v === undefined || v === '') return undefined;
  const s = Number(v);
  if (!Number.isFinite(s) || s <= 0) throw new Error(`SKIFF_NODE_MONITOR_GRACE_PERIOD must be a positive number of seconds, got "${v}"`);
  return s * 1000;
}

function readSecret(path: string): string {
  return readFileSync(path, 'utf8').trim();
}

/**
 * The ServiceAccount signing key, made the first time the control plane starts (also for a
 * cluster created before tokens were signed) and kept, so tokens outlive restarts. `wx` makes
 * a concurrent start keep the key the other one wrote.
 */
function serviceAccountKey(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  try {
    writeFileSync(path, generateSigningKey(), { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  return readFileSync(path, 'utf8');
}

/**
 * Where pods reach the API: node 1's relay (kind likewise names the control-plane node) when
 * the cluster has nodes; without nodes no pod runs, and the endpoints name the listen address.
 */
export function podAPIEndpoint(config: ClusterConfig): ApiEndpoint | undefined {
  return config.nodes > 0 ? { ip: nodeAddress(0), port: API_RELAY_PORT } : undefined;
}

/** A certificate and key `skiff up` made, if both are there. */
function servingPair(certFile: string, keyFile: string): { cert: string; key: string } | undefined {
  try {
    return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * The control plane in one process: the API server, then the controller manager and the
 * scheduler as its clients (as cmd/kube-controller-manager and cmd/kube-scheduler are), with a
 * token made for this process and one set of shared informers.
 */
export async function startControlPlaneProcess(o: ControlPlaneOptions, controllerOptions: ControllerOptions = {}): Promise<{ close(): Promise<void> }> {
  const server = await startControlPlane(o);
  const token = randomBytes(32).toString('base64url');
  server.api.addToken(token, { username: 'system:kube-controller-manager', groups: ['system:authenticated'] });
  const client = new ApiClient({ socketPath: o.socketPath, token, userAgent: 'skiff-controller-manager' });
  const informers = new SharedInformers(client, controllerOptions.log, stripManagedFields);
  const nodesDir = o.nodesDir ?? join(dirname(o.stateDir), 'nodes');
  const controllers = startControllers(client, { nodesDir, ...controllerOptions, informers });
  // The scheduler is its own component upstream; here it shares the informers and the lifecycle.
  const scheduler = startScheduler(client, { informers, log: controllerOptions.log });
  informers.start();
  return {
    async close() {
      await Promise.all([controllers.stop(), scheduler.stop()]);
      await informers.stop();
      await client.close();
      await server.close();
    },
  };
}

export async function serve(flags: { name: string; home?: string; controllerManagerArgs: string[] }): Promise<number> {
  const name = flags.name;
  const home = flags.home ?? skiffHome();
  const paths: ClusterPaths = clusterPaths(home, name);
  let server: { close(): Promise<void> };
  try {
    const config = readClusterConfig(paths);
    if (!config) throw new Error(`cluster "${name}" does not exist (no ${paths.config})`);
    const options: ControlPlaneOptions = {
      stateDir: paths.stateDir,
      host: '127.0.0.1',
      port: config.port,
      cert: readFileSync(paths.serverCert, 'utf8'),
      key: readFileSync(paths.serverKey, 'utf8'),
      tokens: [readSecret(paths.token)],
      serviceAccountKey: serviceAccountKey(paths.serviceAccountKey),
      socketPath: paths.socket,
      podAPIEndpoint: podAPIEndpoint(config),
      clusterName: name,
    };
    const controllerOptions: ControllerOptions = {
      ca: readFileSync(paths.caCert, 'utf8'),
      metricsServerServing: () => servingPair(paths.metricsServerCert, paths.metricsServerKey),
      istiodServing: () => servingPair(paths.istiodCert, paths.istiodKey),
      nodeMonitorGracePeriodMs: gracePeriodFromEnv(),
      ...parseControllerManagerFlags(flags.controllerManagerArgs),
      egress: config.egress,
    };
    await clearStaleSocket(paths.socket);
    server = await startControlPlaneProcess(options, controllerOptions);
    writePidFile(paths, process.pid);
    log('info', 'control plane started', { cluster: name, address: serverURL(config), socket: paths.socket, pid: process.pid });
  } catch (err) {
    log('error', 'control plane failed to start', { cluster: name, error: (err as Error).stack ?? String(err) });
    return 1;
  }

  return await new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      log('info', 'control plane stopping', { cluster: name, signal });
      server.close().then(
        () => {
          removePidFile(paths, process.pid);
          log('info', 'control plane stopped', { cluster: name });
          resolve(0);
        },
        (err: unknown) => {
          removePidFile(paths, process.pid);
          log('error', 'control plane stopped with an error', { cluster: name, error: (err as Error).stack ?? String(err) });
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
