import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IContainerStatus } from 'kubernetes-models/v1/ContainerStatus';
import type { IPodCondition } from 'kubernetes-models/v1/PodCondition';
import type { IPodIP } from 'kubernetes-models/v1/PodIP';
import type { IPodReadinessGate } from 'kubernetes-models/v1/PodReadinessGate';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { IPodStatus } from 'kubernetes-models/v1/PodStatus';
import type { KObject, Printer } from '../types.js';
import { humanDuration, timestampMs, translateTimestampSince } from './age.js';
import { AGE_COLUMN, NAME_COLUMN, column, wide } from './columns.js';
import { DOC } from './descriptions.js';
import { asArray, asInt, asObject, asString } from './format.js';

// printPod from kubernetes pkg/printers/internalversion/printers.go.

type ContainerStatus = Partial<IContainerStatus>;
type Condition = Partial<IPodCondition>;
type PodSpec = Partial<IPodSpec>;
type PodStatus = Partial<IPodStatus>;

/** node.NodeUnreachablePodReason: set by the node lifecycle controller on pods of a lost node. */
const NODE_UNREACHABLE_POD_REASON = 'NodeLost';

const columns = [
  NAME_COLUMN,
  column('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
  column('Status', 'string', 'The aggregate status of the containers in this pod.'),
  column('Restarts', 'string', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
  AGE_COLUMN,
  wide('IP', 'string', DOC.podIP),
  wide('Node', 'string', DOC.nodeName),
  wide('Nominated Node', 'string', DOC.nominatedNodeName),
  wide('Readiness Gates', 'string', DOC.readinessGates),
];

function finishedAt(cs: ContainerStatus): number | undefined {
  return timestampMs(cs.lastState?.terminated?.finishedAt);
}

function isTerminalPhase(phase: string): boolean {
  return phase === 'Failed' || phase === 'Succeeded';
}

function conditionTrue(status: PodStatus, type: string): boolean {
  return asArray<Condition>(status.conditions).some((c) => c.type === type && c.status === 'True');
}

/** The Ready, Status and Restarts cells, computed together as upstream does. */
export function podStatusCells(pod: KObject, now: number): { ready: string; reason: string; restarts: string } {
  const spec = asObject<IPodSpec>(pod.spec);
  const status = asObject<IPodStatus>(pod.status);
  const initSpecs = asArray<Partial<IContainer>>(spec.initContainers);
  const restartable = new Set(initSpecs.filter((c) => c.restartPolicy === 'Always').map((c) => asString(c.name)));

  let restarts = 0;
  let restartableInitRestarts = 0;
  let totalContainers = asArray(spec.containers).length + restartable.size;
  let readyContainers = 0;
  let lastRestart: number | undefined;
  let lastRestartableInitRestart: number | undefined;
  const later = (a: number | undefined, b: number | undefined) => (b !== undefined && (a === undefined || b > a) ? b : a);

  const phase = asString(status.phase);
  let reason = asString(status.reason) || phase;

  for (const c of asArray<Condition>(status.conditions)) {
    if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }

  let initializing = false;
  const initStatuses = asArray<ContainerStatus>(status.initContainerStatuses);
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i];
    const isRestartable = restartable.has(asString(cs.name));
    restarts += asInt(cs.restartCount);
    lastRestart = later(lastRestart, finishedAt(cs));
    if (isRestartable) {
      restartableInitRestarts += asInt(cs.restartCount);
      lastRestartableInitRestart = later(lastRestartableInitRestart, finishedAt(cs));
    }
    const terminated = cs.state?.terminated;
    const waiting = cs.state?.waiting;
    if (terminated && asInt(terminated.exitCode) === 0) continue;
    if (isRestartable && cs.started === true) {
      if (cs.ready) readyContainers++;
      continue;
    }
    if (terminated) {
      // initialization failed
      if (!terminated.reason) {
        reason = asInt(terminated.signal) !== 0 ? `Init:Signal:${asInt(terminated.signal)}` : `Init:ExitCode:${asInt(terminated.exitCode)}`;
      } else {
        reason = `Init:${terminated.reason}`;
      }
    } else if (waiting && waiting.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${i}/${initSpecs.length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || conditionTrue(status, 'Initialized')) {
    restarts = restartableInitRestarts;
    lastRestart = lastRestartableInitRestart;
    let hasRunning = false;
    const statuses = asArray<ContainerStatus>(status.containerStatuses);
    // Walk backwards so that the first container's state wins, as upstream does.
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i];
      restarts += asInt(cs.restartCount);
      lastRestart = later(lastRestart, finishedAt(cs));
      const waiting = cs.state?.waiting;
      const terminated = cs.state?.terminated;
      if (waiting && waiting.reason) {
        reason = waiting.reason;
      } else if (terminated && terminated.reason) {
        reason = terminated.reason;
      } else if (terminated) {
        reason = asInt(terminated.signal) !== 0 ? `Signal:${asInt(terminated.signal)}` : `ExitCode:${asInt(terminated.exitCode)}`;
      } else if (cs.ready && cs.state?.running) {
        hasRunning = true;
        readyContainers++;
      }
    }
    // A pod whose first container completed while another still runs is not "Completed".
    if (reason === 'Completed' && hasRunning) {
      reason = conditionTrue(status, 'Ready') ? 'Running' : 'NotReady';
    }
  }

  const deleting = pod.metadata.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null;
  if (deleting && status.reason === NODE_UNREACHABLE_POD_REASON) {
    reason = 'Unknown';
  } else if (deleting && !isTerminalPhase(phase)) {
    reason = 'Terminating';
  }

  let restartsText = String(restarts);
  if (restarts !== 0 && lastRestart !== undefined) {
    restartsText = `${restarts} (${humanDuration(now - lastRestart)} ago)`;
  }
  return { ready: `${readyContainers}/${totalContainers}`, reason, restarts: restartsText };
}

function readinessGates(spec: PodSpec, status: PodStatus): string {
  const gates = asArray<Partial<IPodReadinessGate>>(spec.readinessGates);
  if (gates.length === 0) return '<none>';
  const conditions = asArray<Condition>(status.conditions);
  let trueConditions = 0;
  for (const gate of gates) {
    const c = conditions.find((cond) => cond.type === gate.conditionType);
    if (c?.status === 'True') trueConditions++;
  }
  return `${trueConditions}/${gates.length}`;
}

export const podPrinter: Printer = {
  columns,
  cells(pod, now) {
    const spec = asObject<IPodSpec>(pod.spec);
    const status = asObject<IPodStatus>(pod.status);
    const { ready, reason, restarts } = podStatusCells(pod, now);
    // The internal type only has podIPs; converting from v1 fills it from podIP when absent.
    const podIP = asString(asArray<Partial<IPodIP>>(status.podIPs)[0]?.ip) || asString(status.podIP);
    return [
      pod.metadata.name ?? '',
      ready,
      reason,
      restarts,
      translateTimestampSince(pod.metadata.creationTimestamp, now),
      podIP || '<none>',
      asString(spec.nodeName) || '<none>',
      asString(status.nominatedNodeName) || '<none>',
      readinessGates(spec, status),
    ];
  },
};
