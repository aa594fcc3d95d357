// `skiff up`: create the cluster on first use (record, certificates, token), start its control
// plane detached, wait until the API answers, make it kubectl's current context, and wait until
// the cluster is usable: nodes Ready, cluster DNS answering, the ingress controller serving.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { UpFlags } from '../args.js';
import {
  clusterPaths,
  contextName,
  kubeletServingFiles,
  portsOfOtherClusters,
  readClusterConfig,
  serverURL,
  skiffHome,
  writeClusterConfig,
  type ClusterConfig,
  type ClusterPaths,
} from '../../cluster/home.js';
import {
  SERVE_ARGV0,
  otherHomesServing,
  removePidFile,
  runningControlPlane,
  runningControllerManagerArgs,
  serveArgs,
  stopServeProcess,
  writePidFile,
} from '../control-plane-process.js';
import { waitForReady } from '../readiness.js';
import { COREDNS_IMAGE } from '../../controllers/addons/coredns.js';
import { CONTROLLER_IMAGE } from '../../controllers/addons/ingress-nginx.js';
import { ISTIOD_DNS_NAMES } from '../../controllers/addons/istio.js';

export const READY_TIMEOUT_MS = 20_000;
/** How long `up` waits for nodes, DNS and ingress unless --wait says otherwise. */
export const DEFAULT_WAIT_MS = 60_000;
export const READY_POLL_MS = 20;
const LOG_ROTATE_BYTES = 8 * 1024 * 1024;
const LOG_TAIL_LINES = 25;

async function createCluster(paths: ClusterPaths, flags: UpFlags): Promise<ClusterConfig> {
  const elsewhere = otherHomesServing(paths.home, flags.name);
  if (elsewhere.length > 0) {
    // kind's "node(s) already exist for a cluster with the name": this one's network would replace that one's.
    throw new Error(
      `a cluster named "${flags.name}" already runs on this machine from SKIFF_HOME=${elsewhere[0]}; ` +
        `cluster names are machine-wide (network namespaces skiff.${flags.name}.*, cgroup skiff.${flags.name}): choose another --name`,
    );
  }
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  mkdirSync(paths.stateDir, { recursive: true, mode: 0o700 });

  const taken = portsOfOtherClusters(paths.home, flags.name);
  let port: number;
  if (flags.port !== undefined) {
    if (taken.has(flags.port)) throw new Error(`port ${flags.port} is already recorded by another skiff cluster`);
    const { portIsFree } = await import('../port.js');
    if (!(await portIsFree(flags.port))) throw new Error(`port ${flags.port} on 127.0.0.1 is already in use`);
    port = flags.port;
  } else {
    const { choosePort } = await import('../port.js');
    port = await choosePort(flags.name, taken);
  }
  if (flags.publishAddress !== undefined) await checkPublishAddress(flags.publishAddress);

  // Imported only here: the X.509 schema library takes tens of milliseconds to load, and resuming needs none.
  const { generateClusterCertificates } = await import('../certificates.js');
  let certs;
  try {
    certs = await generateClusterCertificates();
  } catch (err) {
    throw new Error(`generating certificates: ${(err as Error).message}`);
  }
  writeFileSync(paths.caCert, certs.caCert, { mode: 0o644 });
  writeFileSync(paths.caKey, certs.caKey, { mode: 0o600 });
  writeFileSync(paths.serverCert, certs.serverCert, { mode: 0o644 });
  writeFileSync(paths.serverKey, certs.serverKey, { mode: 0o600 });
  writeFileSync(paths.token, randomBytes(32).toString('base64url') + '\n', { mode: 0o600 });

  // Written last: a cluster without its record is not a cluster yet, and the next `up` starts over.
  const config: ClusterConfig = {
    name: flags.name,
    port,
    created: new Date().toISOString(),
    nodes: flags.nodes ?? 1,
    egress: flags.egress ?? 'all',
    ...(flags.publishAddress !== undefined ? { publishAddress: flags.publishAddress } : {}),
    ...(flags.images !== undefined ? { images: flags.images } : {}),
  };
  writeClusterConfig(paths, config);
  return config;
}

/** A publish address must be one this machine can listen on, or every Service on it would fail later. */
async function checkPublishAddress(address: string): Promise<void> {
  const { createServer } = await import('node:net');
  await new Promise<void>((resolve, reject) => {
    const srv = createServer();
    srv.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(`--publish-address ${address}: cannot listen on it (${err.code ?? err.message}); it must be an address of this machine`)),
    );
    srv.listen({ host: address, port: 0, exclusive: true }, () => srv.close(() => resolve()));
  });
}

/** Flags that describe the cluster apply only at creation; a different value later is a mistake to report. */
function checkCreationFlags(config: ClusterConfig, flags: UpFlags): void {
  const differing: string[] = [];
  if (flags.port !== undefined && flags.port !== config.port) differing.push(`--port ${config.port}`);
  if (flags.nodes !== undefined && flags.nodes !== config.nodes) differing.push(`--nodes ${config.nodes}`);
  if (flags.egress !== undefined && flags.egress !== config.egress) differing.push(`--egress ${config.egress}`);
  if (flags.images !== undefined && flags.images !== (config.images ?? 'auto')) differing.push(`--images ${config.images ?? 'auto'}`);
  if (flags.publishAddress !== undefined && flags.publishAddress !== config.publishAddress) {
    differing.push(config.publishAddress === undefined ? 'no --publish-address' : `--publish-address ${config.publishAddress}`);
  }
  if (differing.length > 0) {
    throw new Error(
      `the cluster already exists with ${differing.join(', ')}; these flags apply only when a cluster is created ` +
        `(delete it first with: skiff down --name ${config.name})`,
    );
  }
}

function logSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function logTail(path: string, fromOffset = 0): string {
  let text: string;
  try {
    text = readFileSync(path).subarray(fromOffset).toString('utf8');
  } catch {
    return `(no log at ${path})`;
  }
  const lines = text.split('\n').filter((l) => l.length > 0);
  if (lines.length === 0) return `(${path} is empty)`;
  return `last lines of ${path}:\n` + lines.slice(-LOG_TAIL_LINES).map((l) => `  ${l}`).join('\n');
}

interface StartedProcess {
  pid: number;
  exited: Promise<string>;
  logOffset: number;
}

function startControlPlane(paths: ClusterPaths, name: string, controllerManagerArgs: readonly string[]): StartedProcess {
  if (logSize(paths.log) > LOG_ROTATE_BYTES) renameSync(paths.log, `${paths.log}.1`);
  const logOffset = logSize(paths.log);
  const fd = openSync(paths.log, 'a', 0o600);
  let child;
  try {
    child = spawn(process.execPath, serveArgs(paths.home, name, controllerManagerArgs), {
      argv0: SERVE_ARGV0,
      cwd: paths.dir,
      detached: true,
      stdio: ['ignore', fd, fd],
      env: process.env,
    });
  } finally {
    closeSync(fd);
  }
  const exited = new Promise<string>((resolve) => {
    child.once('error', (err) => resolve(`starting the control plane process: ${err.message}`));
    child.once('exit', (code, signal) =>
      resolve(`the control plane exited (${signal ? `signal ${signal}` : `code ${code}`}) before it was ready`),
    );
  });
  child.unref();
  if (child.pid === undefined) return { pid: -1, exited, logOffset };
  writePidFile(paths, child.pid);
  return { pid: child.pid, exited, logOffset };
}

async function mergeKubeconfig(config: ClusterConfig, caCertPem: string, token: string): Promise<void> {
  const { kubeconfigPath, writeKubeconfigEntry } = await import('../kubeconfig.js');
  writeKubeconfigEntry(kubeconfigPath(), { name: contextName(config.name), server: serverURL(config), caCertPem, token });
}

/**
 * The node namespaces and one agent per node; both steps repair what is missing and keep the
 * rest. The agents wait for the API themselves, so this may run while the control plane starts.
 */
async function startNodeAgents(paths: ClusterPaths, config: ClusterConfig, certificates: Promise<void>): Promise<void> {
  if (config.nodes === 0) return;
  const { createClusterNetwork, nodeExecArgv } = await import('../../node/network/index.js');
  const { startAgents } = await import('../node-agents.js');
  try {
    await createClusterNetwork(config.name, config.nodes, config.egress);
  } catch (err) {
    throw new Error(`creating the node network namespaces: ${(err as Error).message}`);
  }
  // Each agent serves its kubelet port with its certificate from the start.
  await certificates;
  startAgents(paths, config.name, config.nodes, (i) => nodeExecArgv(config.name, i));
}

/** NodePorts and LoadBalancer addresses on the host: the forwarder it runs needs node 1's namespace. */
async function startHostPorts(paths: ClusterPaths, config: ClusterConfig): Promise<void> {
  if (config.nodes === 0) return;
  const { netnsPath, nodeNetns } = await import('../../node/network/index.js');
  const { startPublisher } = await import('../host-port-publisher.js');
  await startPublisher(paths, config.name, netnsPath(nodeNetns(config.name, 0)));
}

/** Seconds since this process started: what a user waited for `up` so far. */
function elapsed(): string {
  return `${(performance.now() / 1000).toFixed(2)}s`;
}

/** One line per step, as kind prints them: a tick, the step, the time since `up` started, what holds. */
function stepDone(title: string, detail: string): void {
  process.stdout.write(` ✓ ${title} (${elapsed()}): ${detail}\n`);
}

function durationText(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000}m` : `${ms / 1000}s`;
}

/**
 * Waits until every node is Ready, cluster DNS answers from inside the cluster network and the
 * ingress controller serves, printing each step as it holds. The steps are checked side by side
 * and printed in order. A step still not holding at the deadline fails `up`, and the cluster
 * stays as it is for `kubectl`, `skiff status` and `skiff down`.
 */
async function waitUntilUsable(paths: ClusterPaths, config: ClusterConfig, token: string, waitMs: number): Promise<void> {
  const [{ ApiClient }, ready, { nodeExecArgv }, { nodeName, nodeDir }, { CLUSTER_DOMAIN }, { CLUSTER_DNS_IP, KUBERNETES_SERVICE_IP }] = await Promise.all([
    import('../../client/client.js'),
    import('../cluster-ready.js'),
    import('../../node/network/index.js'),
    import('../node-agents.js'),
    import('../../controllers/addons/coredns.js'),
    import('../../cluster/constants.js'),
  ]);
  const client = new ApiClient({ socketPath: paths.socket, token, userAgent: 'skiff-up' });
  const agentLogs = () =>
    Array.from({ length: config.nodes }, (_, i) => logTail(join(nodeDir(paths, nodeName(config.name, i)), 'agent.log')).split('\n').slice(-11).join('\n')).join('\n');
  const steps = [
    ready.nodesStep(client, config.nodes, agentLogs),
    ready.dnsStep(client, nodeExecArgv(config.name, 0), CLUSTER_DNS_IP, KUBERNETES_SERVICE_IP, CLUSTER_DOMAIN),
    ready.ingressStep(client),
  ];
  const deadline = Date.now() + waitMs;
  const limit = durationText(waitMs);
  // Started together so that a slow step does not delay noticing the others; printed in order.
  const results = steps.map((s) => ready.waitForStep(s, deadline, limit));
  for (const r of results) r.catch(() => {});
  try {
    for (let i = 0; i < steps.length; i++) {
      try {
        stepDone(steps[i]!.title, await results[i]!);
      } catch (err) {
        process.stdout.write(` ✗ ${steps[i]!.title} (${elapsed()})\n`);
        throw new Error(
          `${(err as Error).message}\nThe cluster is left as it is: look at it with kubectl, \`skiff status --name ${config.name}\`, ` +
            `or remove it with \`skiff down --name ${config.name}\`.`,
        );
      }
    }
  } finally {
    for (const s of steps) s.close?.();
    await Promise.allSettled(results);
    await client.close();
  }
}

/**
 * The components' serving certificates, signed by the cluster CA (kubeadm's certs phase): each
 * kubelet's and metrics-server's. Made once; a cluster made before they existed gets them at its
 * next `up`.
 */
async function ensureServingCertificates(paths: ClusterPaths, config: ClusterConfig): Promise<void> {
  const [{ nodeName, nodeDir }, { nodeAddress }] = await Promise.all([import('../node-agents.js'), import('../../node/network/names.js')]);
  const wanted = [
    { files: { cert: paths.metricsServerCert, key: paths.metricsServerKey }, cn: 'metrics-server', dns: ['metrics-server', 'metrics-server.kube-system', 'metrics-server.kube-system.svc'], ips: [] as string[] },
    { files: { cert: paths.istiodCert, key: paths.istiodKey }, cn: 'istiod', dns: ISTIOD_DNS_NAMES, ips: [] as string[] },
    ...Array.from({ length: config.nodes }, (_, i) => {
      const node = nodeName(config.name, i);
      return { files: kubeletServingFiles(nodeDir(paths, node)), cn: node, dns: [node], ips: [nodeAddress(i)] };
    }),
  ].filter((w) => !existsSync(w.files.cert) || !existsSync(w.files.key));
  if (wanted.length === 0) return;
  const { generateServingCertificate } = await import('../certificates.js');
  const [caCert, caKey] = [readFileSync(paths.caCert, 'utf8'), readFileSync(paths.caKey, 'utf8')];
  await Promise.all(
    wanted.map(async (w) => {
      const { cert, key } = await generateServingCertificate(caCert, caKey, w.cn, w.dns, w.ips);
      mkdirSync(dirname(w.files.cert), { recursive: true, mode: 0o700 });
      writeFileSync(w.files.key, key, { mode: 0o600 });
      writeFileSync(w.files.cert, cert, { mode: 0o644 });
    }),
  );
}

/**
 * Controller-manager flags are the running process's own, as k3s's are its server's: given to an
 * `up` that finds the control plane running with others, they are a mistake to report, not to drop.
 */
function checkControllerManagerArgs(pid: number, paths: ClusterPaths, name: string, wanted: readonly string[] | undefined): void {
  if (wanted === undefined) return;
  const current = runningControllerManagerArgs(pid, paths.home, name) ?? [];
  if (current.length === wanted.length && current.every((a, i) => a === wanted[i])) return;
  const shown = (args: readonly string[]) => (args.length === 0 ? 'no --kube-controller-manager-arg' : args.map((a) => `--kube-controller-manager-arg=${a.slice(2)}`).join(' '));
  throw new Error(
    `the control plane of "${name}" is running with ${shown(current)}; ` +
      `stop it first (skiff stop --name ${name}) to start it with ${shown(wanted)}`,
  );
}

export async function up(flags: UpFlags): Promise<number> {
  const home = skiffHome();
  const paths = clusterPaths(home, flags.name);
  let config = readClusterConfig(paths);
  if (config) {
    checkCreationFlags(config, flags);
  } else {
    process.stdout.write(`Creating cluster "${flags.name}" ...\n`);
    config = await createCluster(paths, flags);
  }
  const caCertPem = readFileSync(paths.caCert, 'utf8');
  const token = readFileSync(paths.token, 'utf8').trim();
  const context = contextName(config.name);
  const contextLine = `kubectl context: ${context} (set as current context)\n`;
  const waitMs = flags.waitMs ?? DEFAULT_WAIT_MS;

  const running = runningControlPlane(paths, config.name);
  if (running !== undefined) {
    checkControllerManagerArgs(running, paths, config.name, flags.controllerManagerArgs);
    stepDone('Control plane', `already running at ${serverURL(config)}`);
    // Agents that died (or were killed) are started again; they adopt their running pods.
    await startNodeAgents(paths, config, ensureServingCertificates(paths, config));
    await startHostPorts(paths, config);
    await mergeKubeconfig(config, caCertPem, token);
    if (waitMs > 0 && config.nodes > 0) await waitUntilUsable(paths, config, token, waitMs);
    process.stdout.write(`Cluster "${config.name}" is already running at ${serverURL(config)}\n${contextLine}`);
    return 0;
  }

  const started = startControlPlane(paths, config.name, flags.controllerManagerArgs ?? []);
  // The components' serving certificates, the node network and the agents come up while the
  // control plane starts (which reads metrics-server's pair only when it installs the add-on):
  // the agents register as soon as the API answers.
  const certificates = ensureServingCertificates(paths, config);
  certificates.catch(() => {}); // reported where the agents wait for it
  const nodesStarting = startNodeAgents(paths, config, certificates);
  nodesStarting.catch(() => {}); // reported where it is awaited below
  // The runtime's helper is compiled meanwhile too, and the add-ons' image roots assembled,
  // instead of in the first pods' starts.
  const stamperBuilt = config.nodes > 0 ? import('../../node/kubelet/runtime/helper.js').then((m) => m.prepareHelper(paths.dir)) : Promise.resolve();
  stamperBuilt.catch(() => {}); // the first container start builds it itself, and reports a failure
  if (config.nodes > 0) {
    void import('../../images/index.js')
      .then((m) => m.prepareImageRoots([COREDNS_IMAGE, CONTROLLER_IMAGE], { home: paths.home, clusterDir: paths.dir }))
      .catch(() => {}); // the first container of each image assembles its root itself
  }
  // Loading the YAML library overlaps the control plane's start; the kubeconfig itself is
  // written only once the cluster answers, so a failed `up` leaves kubectl's context alone.
  const kubeconfigModule = import('../kubeconfig.js');
  kubeconfigModule.catch(() => {}); // a load failure is reported where it is awaited below
  try {
    await waitForReady(
      { port: config.port, caCertPem, token },
      { timeoutMs: READY_TIMEOUT_MS, intervalMs: READY_POLL_MS, abandon: started.exited },
    );
  } catch (err) {
    // We started it and it is not serving: do not leave it behind, nor agents waiting for it.
    if (started.pid > 0) await stopServeProcess(started.pid, home, config.name, 2000);
    removePidFile(paths, started.pid);
    await nodesStarting.catch(() => {});
    const { stopAgents } = await import('../node-agents.js');
    await stopAgents(paths, config.name, 2000);
    process.stdout.write(` ✗ Control plane (${elapsed()})\n`);
    throw new Error(`${(err as Error).message}\n${logTail(paths.log, started.logOffset)}`);
  }
  stepDone('Control plane', `API at ${serverURL(config)}`);
  await nodesStarting;
  await startHostPorts(paths, config);
  await kubeconfigModule;
  // If this fails the control plane stays up: after fixing the file, `skiff up` writes the entries.
  await mergeKubeconfig(config, caCertPem, token);
  if (waitMs > 0 && config.nodes > 0) await waitUntilUsable(paths, config, token, waitMs);
  await stamperBuilt.catch(() => {});
  process.stdout.write(`Cluster "${config.name}" is running at ${serverURL(config)}\n${contextLine}`);
  return 0;
}
