// A pod's network: its own namespace (skiff.<C>.p.<uid13>) attached to the node's bridge by the
// CNI bridge plugin. Runs in the node namespace (the node agent), as root.
import { mkdirSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { CniError, CniResult, bridgeNetworkConfig, cniDataDir, invokeCni, resultIPv4 } from './cni.js';
import { interfaceAddresses } from './ip.js';
import { POD_IFNAME, inPodCIDR, netnsPath, podNetns, validateClusterName } from './names.js';
import { assertHostVisible, deleteNetns, ensureNetns, loopbackUp, netnsMounts } from './netns.js';

export interface PodNetworkOptions {
  cluster: string;
  /** Node name (`<C>-node-<i+1>`): names the CNI network. */
  node: string;
  index: number;
  podUid: string;
  /** The node's state dir (`<cluster dir>/nodes/<node>`). */
  stateDir: string;
}

/**
 * Our note that a CNI ADD succeeded for a pod. host-local refuses a second ADD for the same
 * container ID, so a pod whose namespace is gone (after `skiff stop`) while its address is still
 * allocated must be released (DEL) before it is attached again.
 */
function attachmentRecord(stateDir: string, podUid: string): string {
  return join(cniDataDir(stateDir), 'pods', `${podUid}.json`);
}

/** Calls for one pod run one after another; calls for different pods run in parallel. */
const perPod = new Map<string, Promise<unknown>>();
function serialByPod<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const prev = perPod.get(key) ?? Promise.resolve();
  const next = prev.catch(() => undefined).then(fn);
  perPod.set(key, next);
  const forget = () => {
    if (perPod.get(key) === next) perPod.delete(key);
  };
  next.then(forget, forget);
  return next;
}

/**
 * Creates the pod's namespace and attaches it to the node's bridge. Idempotent per pod UID.
 * `inside`, given the namespace's path, runs once the namespace exists, beside the attachment
 * (the CNI plugin is most of a pod network's time): what the sandbox makes in the namespace, lo
 * up included; without it, lo is brought up here.
 */
export async function addPodNetwork(o: PodNetworkOptions, inside?: (netnsPath: string) => Promise<void>): Promise<{ netns: string; ip: string }> {
  validateClusterName(o.cluster);
  const netns = podNetns(o.cluster, o.podUid);
  return serialByPod(netns, () => addPodNetworkNow(o, netns, inside ?? (() => loopbackUp(netns))));
}

async function addPodNetworkNow(o: PodNetworkOptions, netns: string, inside: (netnsPath: string) => Promise<void>): Promise<{ netns: string; ip: string }> {
  const what = `setting up the network of pod ${o.podUid} on node ${o.node}`;
  const mounts = netnsMounts();
  assertHostVisible(mounts, what);
  const existed = mounts.pinned.has(netns);
  if (!existed) await ensureNetns(netns, mounts, { loopback: false });
  const [attached, beside] = await Promise.allSettled([attach(o, netns, existed, what), inside(netnsPath(netns))]);
  if (attached.status === 'rejected') throw attached.reason;
  if (beside.status === 'rejected') throw beside.reason;
  return attached.value;
}

async function attach(o: PodNetworkOptions, netns: string, existed: boolean, what: string): Promise<{ netns: string; ip: string }> {
  if (existed) {
    const ip = (await interfaceAddresses(netns, POD_IFNAME, what)).find((a) => inPodCIDR(o.index, a));
    if (ip) return { netns, ip };
  }

  const config = bridgeNetworkConfig(o);
  const call = { containerId: o.podUid, netns: netnsPath(netns), ifName: POD_IFNAME, config };
  const record = attachmentRecord(o.stateDir, o.podUid);
  // A namespace without an address holds a half-made attachment: clear it first.
  if (existed || existsSync(record)) await invokeCni({ ...call, command: 'DEL' }, what);
  // Parallel ADDs on one node are safe: the bridge plugin tolerates a concurrent creation of cni0
  // and host-local serialises allocations with a lock file in its data dir.
  let result: CniResult | undefined;
  try {
    result = await invokeCni({ ...call, command: 'ADD' }, what);
  } catch (e) {
    // Allocated before our record was written (a crash in between): release and retry once.
    if (!(e instanceof CniError) || !/duplicate allocation/.test(e.message)) throw e;
    await invokeCni({ ...call, command: 'DEL' }, what);
    result = await invokeCni({ ...call, command: 'ADD' }, what);
  }
  const ip = resultIPv4(result, POD_IFNAME);
  if (!ip) throw new Error(`${what}: the CNI result has no IPv4 address for ${POD_IFNAME}: ${JSON.stringify(result)}`);
  mkdirSync(join(cniDataDir(o.stateDir), 'pods'), { recursive: true });
  writeFileSync(record + '.tmp', JSON.stringify(result));
  renameSync(record + '.tmp', record);
  return { netns, ip };
}

/** Detaches the pod (CNI DEL releases its address) and deletes its namespace. Succeeds when already gone. */
export async function removePodNetwork(o: PodNetworkOptions): Promise<void> {
  validateClusterName(o.cluster);
  const netns = podNetns(o.cluster, o.podUid);
  return serialByPod(netns, async () => {
    const what = `removing the network of pod ${o.podUid} on node ${o.node}`;
    const mounts = netnsMounts();
    assertHostVisible(mounts, what);
    await invokeCni(
      {
        command: 'DEL',
        containerId: o.podUid,
        // Without a namespace the plugin still releases the address and skips the interface.
        netns: mounts.pinned.has(netns) ? netnsPath(netns) : undefined,
        ifName: POD_IFNAME,
        config: bridgeNetworkConfig(o),
      },
      what,
    );
    await deleteNetns(netns);
    rmSync(attachmentRecord(o.stateDir, o.podUid), { force: true });
  });
}
