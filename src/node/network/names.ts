// The names and addresses a cluster's network is made of. Everything carries the cluster name so
// that two clusters can exist side by side and cleanup can go by prefix.
import { createHash } from 'node:crypto';

/** Highest node count: node addresses are 172.18.0.<i+2> and pod CIDRs 10.244.<i>.0/24 (one octet each). */
export const MAX_NODES = 253;

/** Where `ip netns add` pins named network namespaces (the path CNI_NETNS and nsenter take). */
export const NETNS_DIR = '/var/run/netns';

/** Interface names inside the node namespace: the fabric uplink and the CNI bridge. */
export const NODE_UPLINK = 'eth0';
export const POD_BRIDGE = 'cni0';
export const FABRIC_BRIDGE = 'br0';
export const POD_IFNAME = 'eth0';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Cluster names are DNS labels of at most 40 characters; a dot can therefore never occur in one. */
export function validateClusterName(cluster: string): void {
  if (cluster.length > 40 || !DNS_LABEL.test(cluster)) {
    throw new Error(`invalid cluster name ${JSON.stringify(cluster)}: must be a DNS label of at most 40 characters`);
  }
}

export function validateNodeIndex(index: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= MAX_NODES) {
    throw new Error(`invalid node index ${index}: must be an integer from 0 to ${MAX_NODES - 1}`);
  }
}

/** Prefix shared by every network namespace of the cluster (fabric, nodes, pods). */
export function clusterNetnsPrefix(cluster: string): string {
  return `skiff.${cluster}.`;
}

export function fabricNetns(cluster: string): string {
  return `skiff.${cluster}.fabric`;
}

export function nodeNetns(cluster: string, index: number): string {
  validateNodeIndex(index);
  return `skiff.${cluster}.n${index + 1}`;
}

/** Pod namespaces use the first 13 characters of the pod UID (a UUID), enough to be unique per cluster. */
export function podNetns(cluster: string, podUid: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(podUid)) throw new Error(`invalid pod UID ${JSON.stringify(podUid)}`);
  return `skiff.${cluster}.p.${podUid.slice(0, 13)}`;
}

export function netnsPath(name: string): string {
  return `${NETNS_DIR}/${name}`;
}

/** The node's InternalIP on the fabric (without prefix length; the fabric is a /16). */
export function nodeAddress(index: number): string {
  validateNodeIndex(index);
  return `172.18.0.${index + 2}`;
}

export const FABRIC_PREFIX_LENGTH = 16;

export function podCIDR(index: number): string {
  validateNodeIndex(index);
  return `10.244.${index}.0/24`;
}

/** The address the CNI bridge plugin puts on cni0 (isGateway) and the pods' default gateway. */
export function podGateway(index: number): string {
  validateNodeIndex(index);
  return `10.244.${index}.1`;
}

/** Whether an IPv4 address lies in the node's pod CIDR. */
export function inPodCIDR(index: number, address: string): boolean {
  const m = /^10\.244\.(\d{1,3})\.(\d{1,3})$/.exec(address);
  return m !== null && Number(m[1]) === index && Number(m[2]) <= 255;
}

/**
 * The fabric-side end of node i's uplink. Interface names are limited to 15 characters, so it is a
 * short hash of cluster and node: unique per cluster and across clusters, and recomputable at cleanup.
 */
export function fabricVethName(cluster: string, index: number): string {
  validateNodeIndex(index);
  return 'skv' + createHash('sha256').update(`${cluster}\0${index}`).digest('hex').slice(0, 10);
}

/** The CNI network name of a node (CNI: alphanumeric first, then alphanumerics, `_`, `.`, `-`). */
export function cniNetworkName(node: string): string {
  const name = `skiff-${node}`;
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) throw new Error(`invalid node name ${JSON.stringify(node)} for a CNI network name`);
  return name;
}
