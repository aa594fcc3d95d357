import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { KObject } from '../api/types.js';
import { parseQuantity } from '../api/validation/quantity.js';
import { isAlreadyExists, isConflict, isNotFound, type ApiClient } from '../client/client.js';
import { EventRecorder } from '../client/events.js';
import { containerArgv, containerImage, imageRootsDir, keepHostProgramAnswers } from '../images/index.js';
import { ImageManager } from '../images/image-manager.js';
import { hostNetns, pullInHostNetwork } from '../images/registry/pull-process.js';
import { ImageStore } from '../images/store/store.js';
import { clusterPaths, readClusterConfig } from '../cluster/home.js';
import { log as jsonLog, withFields, type Logger } from '../log.js';
import type { ImageService } from './kubelet/cri.js';
import { Kubelet } from './kubelet/kubelet.js';
import { leaseTiming, renewLease, type LeaseTiming } from './kubelet/node-lease.js';
import { KUBELET_PORT, newNode, nodeLabels, nodeStatus, readMachineInfo, type MachineInfo, type NodeIdentity } from './kubelet/node-status.js';
import { Runtime } from './kubelet/runtime/index.js';
import { KubeletServer } from './kubelet/server.js';
import { API_TLS_SOCKET_NAME } from '../cluster/constants.js';
import { kubeletServingFiles } from '../cluster/home.js';
import { ApiRelay, nodeAddress, podCIDR } from './network/index.js';
import { Proxier } from './proxy/index.js';
import { startNetworkPolicy, type NetworkPolicyLoop } from './networkpolicy/index.js';
import { NODES } from '../client/resources.js';
import { startMeshCapture, type MeshCaptureLoop } from './mesh/loop.js';

// The node agent: registers the Node, heartbeats its Lease and status, runs the kubelet's pod
// loop, serves kubelet.sock, programs the Service proxy's nftables table and relays the API to
// pods. Stopping it leaves every pod running and the proxy's table in place for the next agent.

export const STATUS_INTERVAL_MS = 10_000;
/** The pod network of the whole cluster (every node's 10.244.<i>.0/24). */
export const CLUSTER_CIDR = '10.244.0.0/16';
const RUNTIME_VERSION = 'skiff://0.1.0';

export interface AgentOptions {
  cluster: string;
  home: string;
  clusterDir: string;
  nodeName: string;
  index: number;
  client: ApiClient;
  /** The control plane's node monitor grace period in seconds, when it is not the default. */
  nodeMonitorGracePeriodSeconds?: number;
}

export function nodeDirOf(clusterDir: string, nodeName: string): string {
  return join(clusterDir, 'nodes', nodeName);
}

export class NodeAgent {
  readonly nodeDir: string;
  private readonly id: NodeIdentity;
  private readonly machine: MachineInfo;
  private node?: KObject;
  private timers: NodeJS.Timeout[] = [];
  private kubelet?: Kubelet;
  private server?: KubeletServer;
  private proxier?: Proxier;
  private netpol?: NetworkPolicyLoop;
  private mesh?: MeshCaptureLoop;
  private apiRelay?: ApiRelay;
  private recorder: EventRecorder;
  private readonly lease: LeaseTiming;
  private readonly log: Logger;

  constructor(private readonly o: AgentOptions) {
    this.nodeDir = nodeDirOf(o.clusterDir, o.nodeName);
    mkdirSync(this.nodeDir, { recursive: true });
    this.id = { name: o.nodeName, internalIP: nodeAddress(o.index), podCIDR: podCIDR(o.index), runtimeVersion: RUNTIME_VERSION };
    this.machine = readMachineInfo(this.nodeDir);
    this.log = withFields(jsonLog, { node: o.nodeName });
    this.recorder = new EventRecorder(o.client, 'kubelet', this.log);
    this.lease = leaseTiming(o.nodeMonitorGracePeriodSeconds);
  }

  async start(): Promise<void> {
    await this.register();
    // The Lease says the node lives on; the kubelet does not wait for it to run pods.
    void this.heartbeat().catch((e: Error) => this.log('error', 'renewing the node lease', { error: e.message }));
    this.every(this.lease.renewIntervalMs, () => this.heartbeat());
    this.every(STATUS_INTERVAL_MS, () => this.updateStatus());
    this.startServiceProxy();
    this.netpol ??= startNetworkPolicy({ client: this.o.client, nodeName: this.o.nodeName, log: this.log });
    this.mesh ??= startMeshCapture({ cluster: this.o.cluster, nodeName: this.o.nodeName, client: this.o.client, recorder: this.recorder, log: this.log });

    const paths = clusterPaths(this.o.home, this.o.cluster);
    const config = readClusterConfig(paths);
    const alloc = {
      cpuMillis: this.machine.cpus * 1000,
      memoryBytes: (parseQuantity(`${this.machine.memoryKi}Ki`) ?? 0) - 100 * 2 ** 20,
      ephemeralStorageBytes: this.machine.ephemeralStorageKi * 1024 * 0.9,
    };
    // Every node of the cluster has this machine's CPUs allocatable, and their pods share one cgroup.
    const podsCpuMillis = alloc.cpuMillis * Math.max(1, config?.nodes ?? 1);
    const runtime = new Runtime({ cluster: this.o.cluster, clusterDir: this.o.clusterDir, node: this.o.nodeName, index: this.o.index, nodeDir: this.nodeDir, podsCpuMillis });
    keepHostProgramAnswers(this.o.home);
    const imageManager = new ImageManager({
      mode: config?.images ?? 'auto',
      store: new ImageStore(this.o.home),
      puller: async (ref, credentials, timeoutMs) => pullInHostNetwork({ home: this.o.home, ref, credentials, timeoutMs }, hostNetns(paths.pid)),
      home: this.o.home,
      clusterDir: this.o.clusterDir,
      prepareStandIn: (image) => containerImage(image, imageRootsDir(this.o.clusterDir)),
    });
    const images: ImageService = {
      ensureImage: (req) => imageManager.ensure(req),
      containerArgv,
      containerImage: (image) => {
        const img = containerImage(image, imageRootsDir(this.o.clusterDir));
        return {
          rootfs: img.rootfs,
          mounts: img.mounts.map((m) => ({ hostPath: m.source, containerPath: m.destination, readOnly: true })),
          identity: { user: img.user, etc: img.etc },
        };
      },
    };
    const kubelet = new Kubelet({
      client: this.o.client,
      runtime,
      images,
      recorder: this.recorder,
      nodeName: this.o.nodeName,
      hostIP: this.id.internalIP,
      nodeDir: this.nodeDir,
      alloc,
      log: this.log,
      mesh: this.mesh,
    });
    this.kubelet = kubelet;
    this.server = new KubeletServer({
      socketPath: join(this.nodeDir, 'kubelet.sock'),
      nodeName: this.o.nodeName,
      runtime,
      clock: { now: () => Date.now() },
      lookup: {
        pod: (ns, name) => kubelet.worker(ns, name)?.pod,
        pods: () => kubelet.allWorkers().map((w) => w.pod),
      },
      log: this.log,
      podCIDR: CLUSTER_CIDR,
    });
    await this.server.listen();
    // metrics-server scrapes it; pods do not wait for it, so neither does the agent.
    void this.server.listenSecure(this.id.internalIP, KUBELET_PORT, kubeletServingFiles(this.nodeDir)).catch((e: Error) => this.log('error', 'serving the kubelet port', { port: KUBELET_PORT, error: e.message }));
    await kubelet.start();
    this.log('info', 'node agent started');
  }

  /** Services for pods: the nftables proxy, and the relay the `kubernetes` Service leads to. */
  private startServiceProxy(): void {
    this.proxier ??= new Proxier({
      client: this.o.client,
      node: { nodeName: this.o.nodeName, nodeIPs: [this.id.internalIP], clusterCIDR: CLUSTER_CIDR },
      log: this.log,
    });
    this.proxier.start();
    this.apiRelay ??= new ApiRelay({ host: this.id.internalIP, socketPath: join(this.o.clusterDir, API_TLS_SOCKET_NAME), log: this.log });
    this.apiRelay.start();
  }

  private every(ms: number, fn: () => Promise<void>): void {
    const t = setInterval(() => {
      fn().catch((e: Error) => this.log('error', 'node agent periodic task', { error: e.message }));
    }, ms);
    this.timers.push(t);
  }

  /** Creates the Node, or brings an existing one's labels, pod CIDR and status up to date. */
  private async register(): Promise<void> {
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    try {
      this.node = await this.o.client.create(NODES, undefined, newNode(this.id, this.machine, now));
      this.log('info', 'registered node');
      return;
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
    const existing = await this.o.client.get(NODES, undefined, this.o.nodeName);
    const labels = { ...(existing.metadata.labels ?? {}), ...nodeLabels(this.o.nodeName, this.machine.architecture) };
    const spec = (existing.spec ?? {}) as Record<string, unknown>;
    const patch: Record<string, unknown> = { metadata: { labels } };
    if (!spec.podCIDR) patch.spec = { podCIDR: this.id.podCIDR, podCIDRs: [this.id.podCIDR] };
    this.node = await this.o.client.patch(NODES, undefined, this.o.nodeName, 'merge', patch);
    await this.updateStatus();
  }

  private async updateStatus(): Promise<void> {
    for (let i = 0; i < 3; i++) {
      const cur = this.node ?? (await this.o.client.get(NODES, undefined, this.o.nodeName));
      const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      try {
        this.node = await this.o.client.update(NODES, { ...cur, status: nodeStatus(this.id, this.machine, cur.status as Record<string, unknown>, now) }, 'status');
        return;
      } catch (e) {
        if (isNotFound(e)) {
          // Deleted while we run (kubectl delete node): register again, as a restarted kubelet would.
          this.node = undefined;
          await this.register();
          return;
        }
        if (!isConflict(e)) throw e;
        this.node = await this.o.client.get(NODES, undefined, this.o.nodeName);
      }
    }
  }

  private async heartbeat(): Promise<void> {
    await renewLease(this.o.client, this.o.nodeName, this.node, Date.now(), this.lease.durationSeconds);
  }

  /** Stops heartbeats, the pod loop, the servers and the proxy loop; pods and the proxy's table stay. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.kubelet?.stop();
    await this.server?.close();
    await this.proxier?.stop();
    await this.netpol?.stop();
    await this.mesh?.stop();
    await this.apiRelay?.close();
    await this.recorder.flush();
  }
}
