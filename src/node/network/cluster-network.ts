// The cluster fabric: a namespace with bridge br0 that links the node namespaces, each of which
// has an uplink eth0 (172.18.0.<i+2>/16) and routes to the other nodes' pod CIDRs. Only egress
// (egress.ts, when the cluster allows it) routes off the machine.
import { SERVICE_CLUSTER_IP_RANGE } from '../../cluster/constants.js';
import { ensureEgress, removeHostEgress } from './egress.js';
import { hostEgressVethName, parseEgress, type EgressPolicy } from './egress-rules.js';
import { enableForwarding } from './forwarding.js';
import { CommandError, ip, ipBatch, listLinks } from './ip.js';
import {
  FABRIC_BRIDGE,
  FABRIC_PREFIX_LENGTH,
  MAX_NODES,
  NODE_UPLINK,
  clusterNetnsPrefix,
  fabricNetns,
  fabricVethName,
  nodeAddress,
  nodeNetns,
  podCIDR,
  validateClusterName,
} from './names.js';
import { NetnsMounts, assertHostVisible, deleteNetns, ensureNetns, netnsFiles, netnsMounts } from './netns.js';

/**
 * Creates (or repairs) the fabric and the node namespaces of a cluster, and its way off the
 * machine when `egress` (the cluster record's `all`, `none` or CIDR list) allows one. Runs in the
 * host namespaces, as root.
 */
export async function createClusterNetwork(cluster: string, nodes: number, egress: string | EgressPolicy = 'none'): Promise<void> {
  validateClusterName(cluster);
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_NODES) {
    throw new Error(`creating the network of cluster ${cluster}: node count ${nodes} must be from 1 to ${MAX_NODES}`);
  }
  let policy: EgressPolicy;
  try {
    policy = typeof egress === 'string' ? parseEgress(egress) : egress;
  } catch (e) {
    throw new Error(`creating the network of cluster ${cluster}: ${(e as Error).message}`);
  }
  const mounts = netnsMounts();
  assertHostVisible(mounts, `creating the network of cluster ${cluster}`);
  await ensureFabric(cluster, mounts);
  // Each node's links and routes are its own: the nodes are set up side by side.
  await Promise.all(Array.from({ length: nodes }, (_, i) => ensureNode(cluster, i, nodes, mounts)));
  await ensureEgress(cluster, nodes, policy);
}

async function ensureFabric(cluster: string, mounts: NetnsMounts): Promise<void> {
  const fabric = fabricNetns(cluster);
  await ensureNetns(fabric, mounts);
  const links = await listLinks(fabric, `listing links of ${fabric}`);
  if (!links.some((l) => l.ifname === FABRIC_BRIDGE)) {
    await ip(fabric, ['link', 'add', FABRIC_BRIDGE, 'type', 'bridge'], `creating bridge ${FABRIC_BRIDGE} in ${fabric}`);
  }
  await ip(fabric, ['link', 'set', FABRIC_BRIDGE, 'up'], `bringing up bridge ${FABRIC_BRIDGE} in ${fabric}`);
}

async function ensureNode(cluster: string, index: number, nodes: number, mounts: NetnsMounts): Promise<void> {
  const fabric = fabricNetns(cluster);
  const node = nodeNetns(cluster, index);
  const veth = fabricVethName(cluster, index);
  await ensureNetns(node, mounts);

  // Both ends of a veth pair live and die together, so the uplink is either whole or absent;
  // a lone fabric end would only be left by a rename, and is replaced.
  const nodeLinks = await listLinks(node, `listing links of ${node}`);
  if (!nodeLinks.some((l) => l.ifname === NODE_UPLINK)) {
    const fabricLinks = await listLinks(fabric, `listing links of ${fabric}`);
    if (fabricLinks.some((l) => l.ifname === veth)) {
      await ip(fabric, ['link', 'delete', veth], `deleting stale uplink ${veth} of ${node} in ${fabric}`);
    }
    // Created directly in the two namespaces: the host namespace never holds either end.
    await ip(fabric, ['link', 'add', veth, 'type', 'veth', 'peer', 'name', NODE_UPLINK, 'netns', node], `creating uplink ${veth} <-> ${node}/${NODE_UPLINK}`);
  }
  // The alias names the node, so a leftover end can be traced to its cluster.
  await ip(fabric, ['link', 'set', veth, 'alias', node, 'master', FABRIC_BRIDGE, 'up'], `attaching uplink ${veth} of ${node} to ${FABRIC_BRIDGE} in ${fabric}`);
  // Traffic the node itself sends to a ClusterIP needs a route before the proxy's output hook
  // can rewrite it; the uplink is as good as any, since every mapped address is DNATed away.
  const routes = Array.from({ length: nodes }, (_, j) => j)
    .filter((j) => j !== index)
    .map((j) => ['route', 'replace', podCIDR(j), 'via', nodeAddress(j), 'dev', NODE_UPLINK]);
  await ipBatch(
    node,
    [
      ['addr', 'replace', `${nodeAddress(index)}/${FABRIC_PREFIX_LENGTH}`, 'dev', NODE_UPLINK],
      ['link', 'set', NODE_UPLINK, 'up'],
      ['route', 'replace', SERVICE_CLUSTER_IP_RANGE, 'dev', NODE_UPLINK],
      ...routes,
    ],
    `addressing ${NODE_UPLINK} in ${node} and routing the Service range and the other nodes' pod CIDRs through it`,
  );
  await enableForwarding(node);
}

/**
 * Removes every namespace of the cluster (pods, nodes, fabric), any veth of it left in the host
 * namespace, and its egress table (putting ip_forward back when it was the last to need it). Idempotent.
 */
export async function deleteClusterNetwork(cluster: string): Promise<void> {
  validateClusterName(cluster);
  assertHostVisible(netnsMounts(), `deleting the network of cluster ${cluster}`);
  const prefix = clusterNetnsPrefix(cluster);
  const rank = (name: string) => (name.startsWith(prefix + 'p.') ? 0 : name === fabricNetns(cluster) ? 2 : 1);
  const names = netnsFiles()
    .filter((n) => n.startsWith(prefix))
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const errors: string[] = [];
  for (const name of names) {
    try {
      await deleteNetns(name);
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  // Uplinks are made inside the namespaces, but an end moved or left in the host namespace by
  // hand or by an older version is recognised by its alias or its generated name.
  const ours = new Set([...Array.from({ length: MAX_NODES }, (_, i) => fabricVethName(cluster, i)), hostEgressVethName(cluster)]);
  const hostLinks = await listLinks(undefined, 'listing links of the host namespace');
  for (const l of hostLinks) {
    if (!ours.has(l.ifname) && !(l.ifalias ?? '').startsWith(prefix)) continue;
    try {
      await ip(undefined, ['link', 'delete', l.ifname], `deleting veth ${l.ifname} of cluster ${cluster} in the host namespace`);
    } catch (e) {
      // A namespace is destroyed after `ip netns delete` returns, taking the peers of its veths
      // with it: the egress link's host end may vanish between the listing and the delete.
      if (e instanceof CommandError && /Cannot find device/.test(e.stderr)) continue;
      errors.push((e as Error).message);
    }
  }
  try {
    await removeHostEgress(cluster);
  } catch (e) {
    errors.push((e as Error).message);
  }
  if (errors.length) throw new Error(`deleting the network of cluster ${cluster}: ${errors.join('; ')}`);
}
