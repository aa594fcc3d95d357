// The node's Service proxy (kube-proxy's nftables mode, in the node's network namespace).
export { ServiceProxy, NftError, runNft, conntrackArgs } from './apply.js';
export type { ServiceProxyOptions } from './apply.js';
export {
  buildProxyState,
  fullSyncScript,
  incrementalSyncScript,
  staleUDPEntries,
  deleteTableScript,
  TABLE_FAMILY,
  TABLE_NAME,
  MASQUERADE_MARK,
} from './rules.js';
export type { ProxyState, ServicePortRules, MapElement, AffinitySet, StaleUDP, NodeFacts, ServiceJSON, EndpointSliceJSON } from './rules.js';
export { Proxier } from './proxier.js';
export type { ProxierOptions, ProxySyncer } from './proxier.js';
export { SyncRunner } from './sync-runner.js';
export type { SyncRunnerOptions } from './sync-runner.js';
