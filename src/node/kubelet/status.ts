import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import { createHash } from 'node:crypto';
import type { KObject } from '../../api/types.js';
import type { ContainerStatus } from './cri.js';

// The pod status the kubelet reports, computed from what the worker knows about each
// container, as upstream generateAPIPodStatus / getPhase / the status manager's conditions.

export interface ContainerView {
  name: string;
  image: string;
  /** The latest attempt the runtime knows. */
  current?: ContainerStatus;
  /** The attempt before it, when it exited. */
  previous?: ContainerStatus;
  /** Why the container is not running (ContainerCreating, CrashLoopBackOff, ErrImagePull …). */
  waiting?: { reason: string; message?: string };
  ready: boolean;
  started: boolean;
  /** Ever handed to the runtime (imageID is only reported then). */
  created: boolean;
  /** `<repository>@<digest>` of a stored image the container runs; its image otherwise. */
  imageID?: string;
  /** Restartable init container (sidecar). */
  sidecar?: boolean;
}

export interface StatusInput {
  pod: KObject;
  podIP?: string;
  hostIP: string;
  sandboxReady: boolean;
  init: ContainerView[];
  containers: ContainerView[];
  now: string;
  /** Set once the pod reached a terminal phase or is terminating with all containers stopped. */
  terminal?: 'Succeeded' | 'Failed';
  /** The pod was refused at admission: Failed with this reason, before any container existed. */
  rejected?: { reason: string; message: string };
}

type Json = Record<string, unknown>;

export function containerID(podUid: string, name: string, attempt: number): string {
  return 'skiff://' + createHash('sha256').update(`${podUid}/${name}/${attempt}`).digest('hex');
}

/** RFC 3339 with whole seconds, as metav1.Time serializes. */
export function rfc3339(t: string | number | Date): string {
  return new Date(t).toISOString().replace(/\.\d+Z$/, 'Z');
}

function terminated(podUid: string, s: ContainerStatus): Json {
  return {
    terminated: {
      exitCode: s.exitCode ?? 0,
      reason: s.reason ?? (s.exitCode ? 'Error' : 'Completed'),
      startedAt: rfc3339(s.startedAt),
      finishedAt: rfc3339(s.finishedAt ?? s.startedAt),
      containerID: containerID(podUid, s.name, s.attempt),
    },
  };
}

export function containerStatusOf(podUid: string, v: ContainerView, defaultWaiting: string): Json {
  const cur = v.current;
  let state: Json;
  let lastState: Json = {};
  if (cur?.state === 'running' && !v.waiting) {
    state = { running: { startedAt: rfc3339(cur.startedAt) } };
    if (v.previous) lastState = terminated(podUid, v.previous);
  } else if (v.waiting) {
    state = { waiting: v.waiting.message ? { reason: v.waiting.reason, message: v.waiting.message } : { reason: v.waiting.reason } };
    if (cur?.state === 'exited') lastState = terminated(podUid, cur);
    else if (v.previous) lastState = terminated(podUid, v.previous);
  } else if (cur?.state === 'exited') {
    state = terminated(podUid, cur);
    if (v.previous) lastState = terminated(podUid, v.previous);
  } else {
    state = { waiting: { reason: defaultWaiting } };
  }
  const out: Json = {
    name: v.name,
    state,
    lastState,
    ready: v.ready,
    restartCount: cur?.attempt ?? 0,
    image: v.image,
    imageID: v.created ? v.imageID ?? v.image : '',
  };
  if (cur) out.containerID = containerID(podUid, v.name, cur.attempt);
  out.started = cur?.state === 'running' && !v.waiting ? v.started : false;
  return out;
}

interface Counts {
  pendingInit: number;
  failedInit: number;
}

function initCounts(views: ContainerView[], statuses: Json[]): Counts {
  let pendingInit = 0;
  let failedInit = 0;
  views.forEach((v, i) => {
    const st = statuses[i].state as Json;
    const last = statuses[i].lastState as Json;
    if (v.sidecar) {
      if (!(st.running && v.started)) pendingInit++;
      return;
    }
    if (st.running) pendingInit++;
    else if (st.terminated) {
      if ((st.terminated as Json).exitCode !== 0) failedInit++;
    } else if (st.waiting) {
      if (last.terminated && (last.terminated as Json).exitCode !== 0) failedInit++;
      else if (!last.terminated) pendingInit++;
    } else pendingInit++;
  });
  return { pendingInit, failedInit };
}

/** Upstream getPhase. */
export function podPhase(restartPolicy: string, init: ContainerView[], initStatuses: Json[], statuses: Json[]): string {
  const { pendingInit, failedInit } = initCounts(init, initStatuses);
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of statuses) {
    const st = s.state as Json;
    if (st.running) running++;
    else if (st.terminated) {
      stopped++;
      if ((st.terminated as Json).exitCode === 0) succeeded++;
    } else if (st.waiting) {
      if ((s.lastState as Json).terminated) stopped++;
      else waiting++;
    }
  }
  if (failedInit > 0 && restartPolicy === 'Never') return 'Failed';
  if (pendingInit > 0 || waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (restartPolicy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (restartPolicy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

function condition(old: Json[] | undefined, type: string, status: boolean, now: string, reason?: string, message?: string): Json {
  const prev = old?.find((c) => c.type === type);
  const s = status ? 'True' : 'False';
  const c: Json = { type, status: s, lastProbeTime: null, lastTransitionTime: prev && prev.status === s ? prev.lastTransitionTime : now };
  if (reason) c.reason = reason;
  if (message) c.message = message;
  return c;
}

export function buildPodStatus(i: StatusInput): Json {
  const uid = i.pod.metadata.uid ?? '';
  const old = (i.pod.status ?? {}) as Json;
  // The kubelet's rejectPod: phase, reason and message only (the scheduler's condition stays), so
  // printers show the reason rather than a container's state.
  if (i.rejected) return { ...old, phase: 'Failed', reason: i.rejected.reason, message: i.rejected.message, startTime: old.startTime ?? i.now };
  const oldConds = old.conditions as Json[] | undefined;
  const spec = (i.pod.spec ?? {}) as Partial<IPodSpec>;
  const initStatuses = i.init.map((v) => containerStatusOf(uid, v, 'PodInitializing'));
  const initDone = initCounts(i.init, initStatuses).pendingInit === 0 && initCounts(i.init, initStatuses).failedInit === 0;
  const appWaiting = initDone ? 'ContainerCreating' : 'PodInitializing';
  const statuses = i.containers.map((v) => containerStatusOf(uid, v, appWaiting));
  // Init containers wait in PodInitializing only once the sandbox exists; before that ContainerCreating.
  if (!i.sandboxReady) for (const s of initStatuses) if ((s.state as Json).waiting && ((s.state as Json).waiting as Json).reason === 'PodInitializing') (s.state as Json).waiting = { reason: 'ContainerCreating' };
  let phase = i.terminal ?? podPhase(spec.restartPolicy ?? 'Always', i.init, initStatuses, statuses);
  const oldPhase = old.phase as string | undefined;
  // A terminal phase never changes back (upstream status manager refuses it).
  if (oldPhase === 'Succeeded' || oldPhase === 'Failed') phase = oldPhase;
  const terminal = phase === 'Succeeded' || phase === 'Failed';

  const conds: Json[] = [];
  conds.push(condition(oldConds, 'PodReadyToStartContainers', i.sandboxReady && !terminal, i.now));
  const incompleteInit = i.init.filter((v, k) => {
    const st = initStatuses[k].state as Json;
    if (v.sidecar) return !(st.running && v.started);
    return !(st.terminated && (st.terminated as Json).exitCode === 0);
  }).map((v) => v.name);
  if (terminal && phase === 'Succeeded') conds.push(condition(oldConds, 'Initialized', true, i.now, 'PodCompleted'));
  else if (incompleteInit.length && !initDone)
    conds.push(condition(oldConds, 'Initialized', false, i.now, 'ContainersNotInitialized', `containers with incomplete status: [${incompleteInit.join(' ')}]`));
  else conds.push(condition(oldConds, 'Initialized', true, i.now));

  const unready = [...i.init.filter((v) => v.sidecar && !v.ready), ...i.containers.filter((v) => !v.ready)].map((v) => v.name);
  let readyConds: Json[];
  if (terminal && phase === 'Succeeded') {
    readyConds = [condition(oldConds, 'Ready', false, i.now, 'PodCompleted'), condition(oldConds, 'ContainersReady', false, i.now, 'PodCompleted')];
  } else if (!initDone) {
    const msg = `containers with incomplete status: [${incompleteInit.join(' ')}]`;
    readyConds = [
      condition(oldConds, 'Ready', false, i.now, 'ContainersNotInitialized', msg),
      condition(oldConds, 'ContainersReady', false, i.now, 'ContainersNotInitialized', msg),
    ];
  } else if (unready.length) {
    const msg = `containers with unready status: [${unready.join(' ')}]`;
    readyConds = [
      condition(oldConds, 'Ready', false, i.now, 'ContainersNotReady', msg),
      condition(oldConds, 'ContainersReady', false, i.now, 'ContainersNotReady', msg),
    ];
  } else {
    // Readiness gates: every gated condition must be True for Ready.
    const missing = (spec.readinessGates ?? []).filter((g) => oldConds?.find((c) => c.type === g.conditionType)?.status !== 'True').map((g) => g.conditionType);
    readyConds = [
      missing.length
        ? condition(oldConds, 'Ready', false, i.now, 'ReadinessGatesNotReady', `corresponding condition of pod readiness gate "${missing[0]}" does not exist.`)
        : condition(oldConds, 'Ready', true, i.now),
      condition(oldConds, 'ContainersReady', true, i.now),
    ];
  }
  conds.push(...readyConds);
  // Conditions owned by others (PodScheduled, readiness gates, DisruptionTarget) are kept.
  const mine = new Set(['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady']);
  for (const c of oldConds ?? []) if (!mine.has(c.type as string)) conds.push(c);

  const status: Json = { ...old, phase, conditions: conds, hostIP: i.hostIP, hostIPs: [{ ip: i.hostIP }] };

  if (i.podIP) {
    status.podIP = i.podIP;
    status.podIPs = [{ ip: i.podIP }];
  }
  status.startTime = old.startTime ?? i.now;
  if (i.init.length) status.initContainerStatuses = initStatuses;
  status.containerStatuses = statuses;
  return status;
}
