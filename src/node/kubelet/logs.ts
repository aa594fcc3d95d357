import type { LogOptions } from './cri.js';
import type { KObject } from '../../api/types.js';
import type { Pod } from '../../client/resources.js';

// The container log request as the kubelet's /containerLogs endpoint reads it, and the
// errors it answers for containers that have no log to show (upstream validateContainerLogStatus).

export function parseLogQuery(q: URLSearchParams, now: number): LogOptions | Error {
  const o: LogOptions = {};
  const bool = (k: string) => q.get(k) === 'true' || q.get(k) === '1';
  o.follow = bool('follow');
  o.previous = bool('previous');
  o.timestamps = bool('timestamps');
  const int = (k: string): number | undefined | Error => {
    const v = q.get(k);
    if (v === null || v === '') return undefined;
    const n = Number(v);
    if (!Number.isInteger(n)) return new Error(`invalid ${k}: ${v}`);
    return n;
  };
  const tail = int('tailLines');
  if (tail instanceof Error) return tail;
  if (tail !== undefined) {
    if (tail < 0) return new Error('tailLines: Invalid value: must be greater than or equal to 0');
    o.tailLines = tail;
  }
  const limit = int('limitBytes');
  if (limit instanceof Error) return limit;
  if (limit !== undefined) {
    if (limit < 1) return new Error('limitBytes: Invalid value: must be greater than 0');
    o.limitBytes = limit;
  }
  const since = int('sinceSeconds');
  if (since instanceof Error) return since;
  const sinceTime = q.get('sinceTime');
  if (since !== undefined && sinceTime) return new Error('at most one of `sinceTime` or `sinceSeconds` may be specified');
  if (since !== undefined) {
    if (since < 1) return new Error('sinceSeconds: Invalid value: must be greater than 0');
    o.sinceTime = new Date(now - since * 1000);
  } else if (sinceTime) {
    const t = Date.parse(sinceTime);
    if (Number.isNaN(t)) return new Error(`invalid sinceTime: ${sinceTime}`);
    o.sinceTime = new Date(t);
  }
  return o;
}

/** Which attempt's log to read: 'current', 'previous', or the message of a 400. */
export function logTarget(obj: KObject, container: string, previous: boolean): 'current' | 'previous' | { error: string } {
  const pod = obj as Pod;
  const podName = pod.metadata?.name ?? '';
  const all = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  const s = all.find((c) => c.name === container);
  const specNames = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) => c.name);
  if (!s) {
    if (!specNames.includes(container)) return { error: `container ${container} is not valid for pod ${podName}` };
    return { error: `container "${container}" in pod "${podName}" is waiting to start: ContainerCreating` };
  }
  const state = s.state ?? {};
  const last = s.lastState ?? {};
  if (previous) {
    if (!last.terminated?.containerID) return { error: `previous terminated container "${container}" in pod "${podName}" not found` };
    return 'previous';
  }
  if (state.running) return 'current';
  if (state.terminated) {
    if (state.terminated.containerID) return 'current';
    if (last.terminated?.containerID) return 'previous';
    return { error: `container "${container}" in pod "${podName}" is terminated` };
  }
  // A container waiting to restart shows the log of its last run.
  if (last.terminated) {
    if (!last.terminated.containerID) return { error: `container "${container}" in pod "${podName}" is terminated` };
    return 'current';
  }
  if (state.waiting) {
    const reason = state.waiting.reason;
    if (reason === 'ErrImagePull') return { error: `container "${container}" in pod "${podName}" is waiting to start: image can't be pulled` };
    if (reason === 'ImagePullBackOff') return { error: `container "${container}" in pod "${podName}" is waiting to start: trying and failing to pull image` };
    return { error: `container "${container}" in pod "${podName}" is waiting to start: ${reason}` };
  }
  return { error: `container "${container}" in pod "${podName}" is waiting to start - no logs yet` };
}
