// NetworkPolicy enforcement in the node's network namespace (an `inet skiff-netpol` table).
export { startNetworkPolicy } from './loop.js';
export type { NetworkPolicyLoop, NetworkPolicyOptions, PolicySyncer } from './loop.js';
export { buildNetpolState, policyId, TABLE_FAMILY, TABLE_NAME } from './rules.js';
export type { NetpolInput, NetpolState, NftSet } from './rules.js';
export { fullSyncScript, incrementalSyncScript, deleteTableScript } from './script.js';
export { NetworkPolicyTable } from './table.js';
export { ensureBridgeNetfilter } from './bridge-netfilter.js';
