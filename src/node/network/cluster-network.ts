// The cluster fabric: a namespace with bridge br0 that links the node namespaces, each of which
// has an uplink eth0 (172.18.0.<i+2>/16) and routes to the other nodes' pod CIDRs. Nothing here
// routes off the machine: no namespace gets a default route.
import { existsSync } from 'node:fs';
import { ip, listLinks, run } from './ip.js';
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

/** Creates (or repairs) the fabric and the node namespaces of a cluster. Runs in the host namespaces, as root. */
export async function createClusterNetwork(cluster: string, nodes: number): Promise<void> {
  validateClusterName(cluster);
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_NODES) {
    throw new Error(`creating the network of cluster ${cluster}: node count ${nodes} must be from 1 to ${MAX_NODES}`);
  }
  const mounts = netnsMounts();
  assertHostVisible(mounts, `creating the network of cluster ${cluster}`);
  await ensureFabric(cluster, mounts);
  for (let i = 0; i < nodes; i++) await ensureNode(cluster, i, nodes, mounts);
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
  await ip(node, ['addr', 'replace', `${nodeAddress(index)}/${FABRIC_PREFIX_LENGTH}`, 'dev', NODE_UPLINK], `addressing ${NODE_UPLINK} in ${node}`);
  await ip(node, ['link', 'set', NODE_UPLINK, 'up'], `bringing up ${NODE_UPLINK} in ${node}`);
  await enableForwarding(node);
  for (let j = 0; j < nodes; j++) {
    if (j === index) continue;
    await ip(node, ['route', 'replace', podCIDR(j), 'via', nodeAddress(j), 'dev', NODE_UPLINK], `routing ${podCIDR(j)} via node ${j + 1} in ${node}`);
  }
}

async function enableForwarding(node: string): Promise<void> {
  // sysctls under net/ are per namespace; `ip netns exec` is the way iproute2 offers to reach them.
  const sysctl = ['/usr/sbin/sysctl', '/sbin/sysctl'].find((p) => existsSync(p));
  const cmd = sysctl ? [sysctl] : ['busybox', 'sysctl'];
  await run('ip', ['netns', 'exec', node, ...cmd, '-qw', 'net.ipv4.ip_forward=1'], `enabling IPv4 forwarding in ${node}`);
}

/** Removes every namespace of the cluster (pods, nodes, fabric) and any veth of it left in the host namespace. Idempotent. */
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
  const ours = new Set(Array.from({ length: MAX_NODES }, (_, i) => fabricVethName(cluster, i)));
  const hostLinks = await listLinks(undefined, 'listing links of the host namespace');
  for (const l of hostLinks) {
    if (!ours.has(l.ifname) && !(l.ifalias ?? '').startsWith(prefix)) continue;
    try {
      await ip(undefined, ['link', 'delete', l.ifname], `deleting veth ${l.ifname} of cluster ${cluster} in the host namespace`);
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  if (errors.length) throw new Error(`deleting the network of cluster ${cluster}: ${errors.join('; ')}`);
}
