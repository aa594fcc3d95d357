// The node agent's mesh capture loop (istio-cni's node agent, in ambient mode): informers on
// Pods, Namespaces, Services, ServiceEntries and NetworkPolicies; each change asks for a sync, which rewrites the
// `ip skiff-mesh` table when the capture changed, points the mark's routing table at this node's
// ztunnel, gives the ztunnel's namespace the Service range and the ServiceEntry VIPs as local
// routes for what arrives from the pod network (rules.ts says why), and marks each
// newly enrolled pod with istio-cni's annotation and an event. The table and route go with the
// node's network namespace; an agent restart rebuilds them from its first full lists.
//
// As istio-cni's plugin does at sandbox creation, the kubelet enrols a meshed pod once its
// network is attached and before any of its containers starts (enroll): the pod's first
// connection is already captured, not only those after its status reached this loop's watch.
// While the node's ztunnel is starting (for the first seconds of a cluster, until istiod is
// ready and has sent it the mesh), enrolment waits for it, so that no connection a meshed pod
// makes bypasses the mesh: as with istio-cni, whose plugin fails the sandbox while it cannot
// reach the node's ztunnel, the pod stays in ContainerCreating until it can.
import type { KObject } from '../../api/types.js';
import { isNotFound, type ApiClient } from '../../client/client.js';
import { NAMESPACES, PODS, SERVICEENTRIES, SERVICES } from '../../client/resources.js';
import { withFields, type Logger } from '../../log.js';
import type { EventRecorder } from '../../client/events.js';
import { SharedInformers } from '../../client/informer.js';
import { SERVICE_CLUSTER_IP_RANGE } from '../../cluster/constants.js';
import { ip, ipBatch } from '../network/ip.js';
import { podNetns, POD_BRIDGE } from '../network/names.js';
import { runNft } from '../proxy/apply.js';
import { SyncRunner } from '../proxy/sync-runner.js';
import { inMesh, meshCapture, REDIRECTION_ANNOTATION, type MeshCapture } from './capture.js';
import { MESH_MARK, meshTableScript, ROUTE_TABLE, TABLE, ztunnelRoutingCommands } from './rules.js';


/**
 * How long a meshed pod's enrolment waits for a starting ztunnel before its sandbox fails, to be
 * made again (as long as the runtime waits for a program to say it serves).
 */
const ZTUNNEL_WAIT_MS = 10_000;

export interface MeshCaptureOptions {
  cluster: string;
  nodeName: string;
  client: ApiClient;
  recorder: EventRecorder;
  log: Logger;
}

export interface MeshCaptureLoop {
  /**
   * Captures a starting pod's connections if it is in the mesh, resolving once the node's rules
   * do (at once for a pod outside it, or when the node has no ztunnel); waits for a ztunnel
   * that is starting. Throws when the rules could not be written, or the ztunnel was not ready
   * in time, so that the sandbox is made again.
   */
  enroll(pod: KObject, ip: string): Promise<void>;
  /** The pod's sandbox is gone: its address is no longer captured on the kubelet's word. */
  release(podUid: string): void;
  stop(): Promise<void>;
}

export function startMeshCapture(o: MeshCaptureOptions): MeshCaptureLoop {
  const fields = { node: o.nodeName };
  const shared = new SharedInformers(o.client, withFields(o.log, fields));
  const inf = {
    pods: shared.informer(PODS),
    namespaces: shared.informer(NAMESPACES),
    services: shared.informer(SERVICES),
    serviceEntries: shared.informer(SERVICEENTRIES),
  };
  let written = '';
  let routedTo = '';
  /** ztunnel pod uid → the VIPs its namespace has as local routes, besides the Service range. */
  const localRoutes = new Map<string, string>();
  /** Pods the kubelet is starting, by uid (enroll). */
  const starting = new Map<string, { ip: string; pod: KObject }>();
  /** The members' addresses in the table as last written, with whether a ztunnel was there. */
  let captured = new Set<string>();
  let ztunnelReady = false;
  /** Without a ready ztunnel, the one this node has that is starting. */
  let ztunnelStarting: string | undefined;
  /** Enrolments waiting for the ztunnel, woken after each sync. */
  let afterSync: (() => void)[] = [];
  /** Members whose annotation and event are done: the watch may not have brought the annotated pod back yet. */
  let announced = new Set<string>();

  const sync = async () => {
    try {
      await write();
    } finally {
      const waiting = afterSync;
      afterSync = [];
      for (const wake of waiting) wake();
    }
  };

  const write = async () => {
    const c = meshCapture({ nodeName: o.nodeName, pods: inf.pods.list(), namespaces: inf.namespaces.list(), services: inf.services.list(), serviceEntries: inf.serviceEntries.list(), starting });
    const vips = c.vips.join(',');
    if (c.ztunnel && localRoutes.get(c.ztunnel.uid) !== vips) {
      const netns = podNetns(o.cluster, c.ztunnel.uid);
      const rules = await ip(netns, ['rule', 'show'], `listing the routing rules of ztunnel ${c.ztunnel.name}`);
      await ipBatch(netns, ztunnelRoutingCommands(SERVICE_CLUSTER_IP_RANGE, rules, c.vips), `routing the Service range and ServiceEntry VIPs locally in ztunnel ${c.ztunnel.name}`);
      localRoutes.set(c.ztunnel.uid, vips);
    }
    await routeToZtunnel(c);
    const script = meshTableScript(c);
    if (script !== written) {
      written = '';
      await runNft(script, `writing table ${TABLE} of node ${o.nodeName}`);
      written = script;
    }
    captured = new Set(c.members.map((m) => m.ip));
    ztunnelReady = c.ztunnel !== undefined;
    ztunnelStarting = c.ztunnelStarting;
    if (!c.ztunnel) return;
    const next = new Set<string>();
    for (const m of c.members) {
      const uid = m.pod.metadata.uid ?? '';
      if (!announced.has(uid)) await enrolled(inf.pods.get(m.pod.metadata.namespace, m.pod.metadata.name ?? '') ?? m.pod, c.ztunnel.name);
      next.add(uid);
      announced.add(uid);
    }
    announced = next;
  };

  const routeToZtunnel = async (c: MeshCapture) => {
    const via = c.ztunnel?.ip ?? '';
    if (via === routedTo) return;
    routedTo = '';
    const rules = await ip(undefined, ['rule', 'show', 'priority', ROUTE_TABLE], 'listing the mesh routing rule');
    if (!rules.trim()) await ip(undefined, ['rule', 'add', 'priority', ROUTE_TABLE, 'fwmark', `${MESH_MARK}/${MESH_MARK}`, 'lookup', ROUTE_TABLE], 'adding the mesh routing rule');
    if (via) await ip(undefined, ['route', 'replace', 'default', 'via', via, 'dev', POD_BRIDGE, 'table', ROUTE_TABLE], `routing marked traffic to ztunnel ${c.ztunnel!.name}`);
    else await ip(undefined, ['route', 'flush', 'table', ROUTE_TABLE], 'removing the route to a ztunnel that is gone');
    routedTo = via;
  };

  const enrolled = async (pod: KObject, ztunnel: string) => {
    if (pod.metadata.annotations?.[REDIRECTION_ANNOTATION] === 'enabled') return;
    try {
      await o.client.patch(PODS, pod.metadata.namespace, pod.metadata.name ?? '', 'merge', { metadata: { annotations: { [REDIRECTION_ANNOTATION]: 'enabled' } } });
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    o.recorder.event(pod, 'Normal', 'Enrolled', `Pod enrolled in the ambient mesh: its connections to Services go through ztunnel ${ztunnel} on node ${o.nodeName}`);
  };

  const runner = new SyncRunner(sync, { onError: (e, ms) => o.log('error', 'syncing mesh capture', { ...fields, error: e.message, retryInMs: ms }) });
  let synced = false;
  const changed = () => {
    if (synced) runner.request();
  };
  const all = [inf.pods, inf.namespaces, inf.services, inf.serviceEntries];
  for (const i of all) i.addHandler({ add: changed, update: changed, delete: changed });
  shared.start();
  const allSynced = Promise.all(all.map((i) => i.waitForSync())).then(() => {
    synced = true;
    runner.request();
  });
  return {
    async enroll(pod, ip) {
      await inf.namespaces.waitForSync();
      if (!inMesh(pod, inf.namespaces.get(undefined, pod.metadata.namespace ?? '')?.metadata.labels)) return;
      starting.set(pod.metadata.uid ?? '', { ip, pod });
      await allSynced;
      runner.request();
      await runner.idle();
      const deadline = Date.now() + ZTUNNEL_WAIT_MS;
      // A pod deleted meanwhile is not kept waiting (absent from the watch is no sign: it can lag).
      const deleting = () => {
        const now = inf.pods.get(pod.metadata.namespace, pod.metadata.name ?? '');
        return !!now && (now.metadata.uid !== pod.metadata.uid || !!now.metadata.deletionTimestamp);
      };
      while (!ztunnelReady && ztunnelStarting && !deleting() && Date.now() < deadline) {
        await new Promise<void>((wake) => {
          const timer = setTimeout(wake, deadline - Date.now()).unref();
          afterSync.push(() => {
            clearTimeout(timer);
            wake();
          });
        });
      }
      const what = `enrolling pod ${pod.metadata.namespace}/${pod.metadata.name} (${ip}) in the mesh`;
      if (!ztunnelReady && ztunnelStarting) throw new Error(`${what}: ${deleting() ? 'the pod is being deleted' : `ztunnel ${ztunnelStarting} on node ${o.nodeName} is not ready`}`);
      if (ztunnelReady && !captured.has(ip)) throw new Error(`${what}: the node's rules are not written yet`);
    },
    release(podUid) {
      if (starting.delete(podUid)) runner.request();
    },
    async stop() {
      await runner.stop();
      await shared.stop();
    },
  };
}
