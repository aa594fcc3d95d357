import type { INodeAddress } from 'kubernetes-models/v1/NodeAddress';
import type { INodeCondition } from 'kubernetes-models/v1/NodeCondition';
import type { INodeSpec } from 'kubernetes-models/v1/NodeSpec';
import type { INodeStatus } from 'kubernetes-models/v1/NodeStatus';
import type { INodeSystemInfo } from 'kubernetes-models/v1/NodeSystemInfo';
import type { Printer } from '../types.js';
import { translateTimestampSince } from './age.js';
import { AGE_COLUMN, NAME_COLUMN, column, wide } from './columns.js';
import { DOC } from './descriptions.js';
import { asArray, asObject, asString, sortedSet } from './format.js';

// printNode from kubernetes pkg/printers/internalversion/printers.go.

const LABEL_NODE_ROLE_PREFIX = 'node-role.kubernetes.io/';
const NODE_LABEL_ROLE = 'kubernetes.io/role';

type NodeStatus = Partial<INodeStatus>;

/** Ready / NotReady from the Ready condition (the last one wins), Unknown without it. */
function nodeStatus(status: NodeStatus, unschedulable: boolean): string {
  let ready: string | undefined;
  for (const c of asArray<Partial<INodeCondition>>(status.conditions)) {
    if (c.type === 'Ready') ready = c.status === 'True' ? 'Ready' : 'NotReady';
  }
  const parts = [ready ?? 'Unknown'];
  if (unschedulable) parts.push('SchedulingDisabled');
  return parts.join(',');
}

/** findNodeRoles: `node-role.kubernetes.io/<role>` keys and the `kubernetes.io/role` value, sorted. */
export function nodeRoles(labels: unknown): string {
  const roles: string[] = [];
  for (const [k, v] of Object.entries(asObject(labels))) {
    if (k.startsWith(LABEL_NODE_ROLE_PREFIX)) {
      const role = k.slice(LABEL_NODE_ROLE_PREFIX.length);
      if (role) roles.push(role);
    } else if (k === NODE_LABEL_ROLE && asString(v) !== '') {
      roles.push(asString(v));
    }
  }
  return sortedSet(roles).join(',') || '<none>';
}

function firstAddress(status: NodeStatus, type: string): string {
  const a = asArray<Partial<INodeAddress>>(status.addresses).find((x) => x.type === type);
  return a ? asString(a.address) : '<none>';
}

export const nodePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Status', 'string', 'The status of the node'),
    column('Roles', 'string', 'The roles of the node'),
    AGE_COLUMN,
    column('Version', 'string', DOC.kubeletVersion),
    wide('Internal-IP', 'string', DOC.nodeAddresses),
    wide('External-IP', 'string', DOC.nodeAddresses),
    wide('OS-Image', 'string', DOC.osImage),
    wide('Kernel-Version', 'string', DOC.kernelVersion),
    wide('Container-Runtime', 'string', DOC.containerRuntimeVersion),
  ],
  cells(node, now) {
    const spec = asObject<INodeSpec>(node.spec);
    const status = asObject<INodeStatus>(node.status);
    const info = asObject<INodeSystemInfo>(status.nodeInfo);
    return [
      node.metadata.name ?? '',
      nodeStatus(status, spec.unschedulable === true),
      nodeRoles(node.metadata.labels),
      translateTimestampSince(node.metadata.creationTimestamp, now),
      asString(info.kubeletVersion),
      firstAddress(status, 'InternalIP'),
      firstAddress(status, 'ExternalIP'),
      asString(info.osImage) || '<unknown>',
      asString(info.kernelVersion) || '<unknown>',
      asString(info.containerRuntimeVersion) || '<unknown>',
    ];
  },
};
