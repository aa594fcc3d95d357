// Node and pod networking: the cluster fabric and node namespaces (created by the CLI in the host
// namespaces) and pod namespaces attached by CNI (by the node agent, inside its node namespace).
import { nodeNetns } from './names.js';
import { netnsExecArgv } from './netns.js';

export { nodeNetns, podNetns, fabricNetns, netnsPath, nodeAddress, podCIDR, podGateway, clusterNetnsPrefix, MAX_NODES } from './names.js';
export { createClusterNetwork, deleteClusterNetwork } from './cluster-network.js';
export { parseEgress, egressDestinations } from './egress-rules.js';
export type { EgressPolicy } from './egress-rules.js';
export { addPodNetwork, removePodNetwork } from './pod-network.js';
export type { PodNetwork, PodNetworkOptions } from './pod-network.js';
export { ApiRelay, splice } from './api-relay.js';
export type { ApiRelayOptions } from './api-relay.js';
export { netnsExecArgv };

/**
 * Argv prefix to start a process (the node agent) in node i's namespace. Unlike `ip netns exec`,
 * it keeps the host's mount namespace, without which the pod namespaces the agent creates would
 * not be seen by the host (see netns.ts).
 */
export function nodeExecArgv(cluster: string, index: number): string[] {
  return netnsExecArgv(nodeNetns(cluster, index));
}
