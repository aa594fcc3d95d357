// A pod's network: its own namespace (skiff.<C>.p.<uid13>) attached to the node's bridge by the
// CNI bridge plugin. Runs in the node namespace (the node agent), as root.
import { mkdirSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { CniError, CniInvocation, CniResult, bridgeNetworkConfig, cniDataDir, invokeCni, resultIPv4 } from './cni.js';
import { interfaceAddresses } from './ip.js';
import type { Launcher } from '../launcher.js';
import { AddressReservation, reservePodAddress } from './pod-address.js';
import { POD_IFNAME, inPodCIDR, netnsPath, podNetns, validateClusterName } from './names.js';
import { assertHostVisible, deleteNetns, ensureNetns, loopbackUp, netnsDirReceiveOnly, netnsFiles, netnsMounts, netnsPinned } from './netns.js';

export interface PodNetworkOptions {
  cluster: string;
  /** Node name (`<C>-node-<i+1>`): names the CNI network. */
  node: string;
  index: number;
  podUid: string;
  /** The node's state dir (`<cluster dir>/nodes/<node>`). */
  stateDir: string;
  /** What runs the CNI plugin (default: Node's spawn). */
  launcher?: Launcher;
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
 * What the caller makes in the pod's namespace beside the attachment (the CNI plugin is most of
 * a pod network's time), lo up included. With `create` it first creates the namespace, pinned at
 * `netnsPath` as `ip netns add` pins it, and calls `pinned` as soon as it is: the attachment
 * starts then, so that the namespace's creation and the rest of the sandbox take one process.
 */
export type SandboxNamespaces = (netnsPath: string, o: { create: boolean; pinned: () => void }) => Promise<void>;

/** A pod's network as soon as its address is known: the CNI plugin may still be attaching it. */
export interface PodNetwork {
  netns: string;
  ip: string;
  /** Settles once the namespace is attached (at once for one attached before), rejecting with why not. */
  attached: Promise<void>;
}

/**
 * Creates the pod's namespace and attaches it to the node's bridge. Idempotent per pod UID.
 * Resolves once the namespace is made (`inside` included) and its address chosen, so that the
 * pod's containers can be created while the CNI plugin attaches it: nothing may start in it
 * before `attached` has resolved.
 */
export function addPodNetwork(o: PodNetworkOptions, inside?: SandboxNamespaces): Promise<PodNetwork> {
  validateClusterName(o.cluster);
  const netns = podNetns(o.cluster, o.podUid);
  return new Promise((resolve, reject) => {
    serialByPod(netns, () => addPodNetworkNow(o, netns, inside ?? withIp(netns), resolve)).catch(reject);
  });
}

/** The namespace made with `ip`, for callers that make nothing else in it. */
function withIp(netns: string): SandboxNamespaces {
  return async (_path, { create, pinned }) => {
    if (create) {
      await ensureNetns(netns, netnsMounts(), { loopback: false });
      pinned();
    }
    await loopbackUp(netns);
  };
}

/** Tells `ready` of the network once its address is known; resolves once it is attached. */
async function addPodNetworkNow(o: PodNetworkOptions, netns: string, inside: SandboxNamespaces, ready: (n: PodNetwork) => void): Promise<void> {
  const what = `setting up the network of pod ${o.podUid} on node ${o.node}`;
  assertHostVisible({ receiveOnly: netnsDirReceiveOnly() }, what);
  const existed = netnsPinned(netns);
  // A file without a mount is what a crash leaves; the namespace cannot be pinned on it.
  if (!existed && netnsFiles().includes(netns)) await deleteNetns(netns);
  let pinned = () => {};
  const exists = existed ? Promise.resolve() : new Promise<void>((resolve) => (pinned = resolve));
  const beside = inside(netnsPath(netns), { create: !existed, pinned });
  // `beside` failing before the namespace is pinned ends the wait with its error.
  await Promise.race([exists, beside]);
  const [planned, made] = await Promise.allSettled([address(o, netns, existed, what), beside]);
  if (planned.status === 'rejected') throw planned.reason;
  if (made.status === 'rejected') {
    if (planned.value.reservation) planned.value.reservation.release();
    throw made.reason;
  }
  const { ip, reservation } = planned.value;
  if (!reservation) {
    ready({ netns, ip, attached: Promise.resolve() });
    return;
  }
  const attached = attach(o, netns, reservation, what);
  ready({ netns, ip, attached });
  await attached;
}

/**
 * The pod's address: the one its namespace holds already, or one chosen for the ADD to come (a
 * half-made attachment, with a namespace but no address, is cleared first).
 */
async function address(o: PodNetworkOptions, netns: string, existed: boolean, what: string): Promise<{ ip: string; reservation?: AddressReservation }> {
  if (existed) {
    const ip = (await interfaceAddresses(netns, POD_IFNAME, what)).find((a) => inPodCIDR(o.index, a));
    if (ip) return { ip };
  }
  if (existed || existsSync(attachmentRecord(o.stateDir, o.podUid))) await invokeCni({ ...cniCall(o, netns), command: 'DEL' }, what, o.launcher);
  const config = bridgeNetworkConfig(o);
  const range = config.ipam.ranges[0][0];
  const reservation = reservePodAddress(join(config.ipam.dataDir, config.name), range.subnet, range.gateway);
  return { ip: reservation.ip, reservation };
}

function cniCall(o: PodNetworkOptions, netns: string): Omit<CniInvocation, 'command'> {
  return { containerId: o.podUid, netns: netnsPath(netns), ifName: POD_IFNAME, config: bridgeNetworkConfig(o) };
}

async function attach(o: PodNetworkOptions, netns: string, reservation: AddressReservation, what: string): Promise<void> {
  const call = { ...cniCall(o, netns), args: `IgnoreUnknown=1;IP=${reservation.ip}` };
  // Parallel ADDs on one node are safe: the bridge plugin tolerates a concurrent creation of cni0
  // and host-local serialises allocations with a lock file in its data dir.
  let result: CniResult | undefined;
  try {
    try {
      result = await invokeCni({ ...call, command: 'ADD' }, what, o.launcher);
    } catch (e) {
      // Allocated before our record was written (a crash in between): release and retry once.
      if (!(e instanceof CniError) || !/duplicate allocation/.test(e.message)) throw e;
      await invokeCni({ ...call, command: 'DEL' }, what, o.launcher);
      result = await invokeCni({ ...call, command: 'ADD' }, what, o.launcher);
    }
  } finally {
    reservation.release();
  }
  const ip = resultIPv4(result, POD_IFNAME);
  if (ip !== reservation.ip) throw new Error(`${what}: the CNI result gives ${POD_IFNAME} ${ip ?? 'no IPv4 address'}, not the ${reservation.ip} asked for: ${JSON.stringify(result)}`);
  const record = attachmentRecord(o.stateDir, o.podUid);
  mkdirSync(join(cniDataDir(o.stateDir), 'pods'), { recursive: true });
  writeFileSync(record + '.tmp', JSON.stringify(result));
  renameSync(record + '.tmp', record);
}

/** Detaches the pod (CNI DEL releases its address) and deletes its namespace. Succeeds when already gone. */
export async function removePodNetwork(o: PodNetworkOptions): Promise<void> {
  validateClusterName(o.cluster);
  const netns = podNetns(o.cluster, o.podUid);
  return serialByPod(netns, async () => {
    const what = `removing the network of pod ${o.podUid} on node ${o.node}`;
    assertHostVisible({ receiveOnly: netnsDirReceiveOnly() }, what);
    // Without a namespace the plugin still releases the address and skips the interface.
    await invokeCni({ ...cniCall(o, netns), netns: netnsPinned(netns) ? netnsPath(netns) : undefined, command: 'DEL' }, what, o.launcher);
    await deleteNetns(netns);
    rmSync(attachmentRecord(o.stateDir, o.podUid), { force: true });
  });
}
