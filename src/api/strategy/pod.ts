import type { IPod } from 'kubernetes-models/v1/Pod';
import type { KObject, ObjectOf } from '../types.js';
import { apiError, errors } from '../errors.js';
import type { KubeletLocation, Strategy, SubresourceStrategy } from './types.js';

// Pods, after pkg/registry/core/pod/strategy.go (status on create, graceful deletion, the
// kubelet locations of log, exec, attach and portforward) and storage.go (BindingREST).

/** Pods as stored: type-checked when written. */
type Pod = ObjectOf<IPod>;

const rfc3339 = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/** Pod QoS class from container requests and limits, as upstream's GetPodQOS. */
export function qosClass(pod: KObject): string {
  const spec = (pod as Pod).spec ?? { containers: [] };
  let any = false;
  let guaranteed = true;
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    for (const r of ['cpu', 'memory']) {
      if (req[r] !== undefined || lim[r] !== undefined) any = true;
      const want = req[r] ?? lim[r];
      if (lim[r] === undefined || want !== lim[r]) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/** Pods on a node terminate gracefully; unscheduled and finished pods go at once. */
function gracePeriod(obj: KObject, requested: number | undefined): number {
  const p = obj as Pod;
  if (!p.spec?.nodeName) return 0;
  const phase = p.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return 0;
  return Math.max(0, requested ?? p.spec.terminationGracePeriodSeconds ?? 30);
}

const KUBELET_PATH: Record<string, string> = { log: 'containerLogs', exec: 'exec', attach: 'attach', portforward: 'portForward' };

/** The kubelet path for a pod subresource, checking the container as the apiserver does. */
export function kubeletTarget(pod: KObject, sub: string, query: URLSearchParams): KubeletLocation {
  const p = pod as Pod;
  const name = pod.metadata.name!;
  const ns = pod.metadata.namespace!;
  const node = p.spec?.nodeName;
  if (!node) throw errors.badRequest(`pod ${name} does not have a host assigned`);
  const kpath = KUBELET_PATH[sub];
  if (!kpath) throw errors.notFoundPath();
  const q = new URLSearchParams(query);
  if (sub === 'portforward') return { node, path: `/${kpath}/${encodeURIComponent(ns)}/${encodeURIComponent(name)}${q.size ? `?${q}` : ''}` };
  const names = [...(p.spec?.containers ?? []), ...(p.spec?.initContainers ?? []), ...(p.spec?.ephemeralContainers ?? [])].map((c) => c.name);
  let container = q.get('container') ?? '';
  q.delete('container');
  if (!container) {
    const app = (p.spec?.containers ?? []).map((c) => c.name);
    const annotated = pod.metadata.annotations?.['kubectl.kubernetes.io/default-container'];
    if (app.length === 1) container = app[0];
    else if (annotated && app.includes(annotated)) container = annotated;
    else throw errors.badRequest(`a container name must be specified for pod ${name}, choose one of: [${app.join(' ')}]`);
  }
  if (!names.includes(container)) throw errors.badRequest(`container ${container} is not valid for pod ${name}`);
  const path = `/${kpath}/${encodeURIComponent(ns)}/${encodeURIComponent(name)}/${encodeURIComponent(container)}${q.size ? `?${q}` : ''}`;
  return { node, path };
}

interface Binding {
  metadata?: { name?: string };
  target?: { kind?: string; name?: string };
}

/** pods/binding: the scheduler's assignment of a pod to a node (BindingREST.assignPod). */
export function bind(pod: KObject, body: unknown, name: string): KObject {
  const binding = (body ?? {}) as Binding;
  const node = binding.target?.name;
  if (!node || (binding.target?.kind && binding.target.kind !== 'Node')) {
    throw apiError(422, 'Invalid', `Binding "${name}" is invalid: target.name: Required value`, {
      name,
      kind: 'Binding',
      causes: [{ reason: 'FieldValueRequired', message: 'Required value', field: 'target.name' }],
    });
  }
  const conflict = (why: string) => apiError(409, 'Conflict', `Operation cannot be fulfilled on pods/binding "${name}": ${why}`, { name, kind: 'pods/binding' });
  const p = pod as Pod;
  if (pod.metadata.deletionTimestamp) throw conflict(`pod ${name} is being deleted, cannot be assigned to a host`);
  if (p.spec?.nodeName) throw conflict(`pod ${name} is already assigned to node "${p.spec.nodeName}"`);
  const spec = { ...(p.spec ?? {}), nodeName: node };
  // A zero metav1.Time marshals as null, which the model's string type does not admit.
  const scheduled = { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: rfc3339() };
  const status = { ...(p.status ?? {}), conditions: [...(p.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled'), scheduled] };
  return { ...pod, spec, status };
}

const connect = (sub: string, upgrade: boolean): SubresourceStrategy => ({
  connect: (pod, query) => kubeletTarget(pod, sub, query),
  upgrade,
});

export const podStrategy: Strategy = {
  prepareForCreate(obj) {
    obj.status = { phase: 'Pending', qosClass: qosClass(obj) };
  },
  gracePeriod,
  returnDeletedObject: true,
  subresources: {
    binding: {
      create: (pod, body, name) => ({ obj: bind(pod, body, name), code: 201, response: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 } }),
      // Binding sets the node and the PodScheduled condition, nothing else.
      update: (obj, old) => ({ ...old, spec: obj.spec, status: obj.status }),
    },
    log: connect('log', false),
    exec: connect('exec', true),
    attach: connect('attach', true),
    portforward: connect('portforward', true),
  },
};
