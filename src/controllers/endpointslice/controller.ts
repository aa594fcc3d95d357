import type { KObject } from '../../api/types.js';
import { isNamespaceTerminating, isNotFound, type ApiClient } from '../../client/client.js';
import { keyOfObject, type SharedInformers } from '../../client/informer.js';
import { runController, type RunningController } from '../../client/loop.js';
import { CONTROLLER_NAME, LABEL_MANAGED_BY, LABEL_SERVICE_NAME, isEmptyPlan, planEndpointSlices } from './reconcile.js';
import { managesEndpoints, serviceSelects } from './service.js';
import { SliceTracker } from './tracker.js';
import type { Logger } from '../../log.js';
import { ENDPOINTSLICES, PODS, SERVICES } from '../../client/resources.js';

// The EndpointSlice controller (pkg/controller/endpointslice): keeps each selector Service's
// EndpointSlices in step with the pods it selects. Decisions live in reconcile.ts.


/** How long to wait before looking again when the slice cache lags our own writes and no event arrives. */
const STALE_RECHECK_MS = 1000;

/** The Service a slice of ours belongs to, by its service-name label. */
export function serviceKeyOfSlice(slice: KObject): string | undefined {
  const labels = slice.metadata.labels ?? {};
  if (labels[LABEL_MANAGED_BY] !== CONTROLLER_NAME || !labels[LABEL_SERVICE_NAME]) return undefined;
  return `${slice.metadata.namespace}/${labels[LABEL_SERVICE_NAME]}`;
}

/** Keys of the Services in the pod's namespace whose selector matches it. */
export function servicesForPod(pod: KObject, services: KObject[]): string[] {
  return services.filter((s) => serviceSelects(s, pod)).map(keyOfObject);
}

export function startEndpointSliceController(client: ApiClient, informers: SharedInformers, log?: Logger): RunningController {
  const services = informers.informer(SERVICES);
  const pods = informers.informer(PODS);
  const slices = informers.informer(ENDPOINTSLICES);
  const tracker = new SliceTracker();

  slices.addHandler({
    add: (s) => observe(s, false),
    update: (_o, s) => observe(s, false),
    delete: (s) => observe(s, true),
  });
  function observe(slice: KObject, gone: boolean) {
    const key = serviceKeyOfSlice(slice);
    if (key) tracker.observed(key, slice, gone);
  }

  async function write(key: string, svc: KObject): Promise<{ requeueAfter: number } | void> {
    const ns = svc.metadata.namespace as string;
    const selected = pods.list(ns).filter((p) => serviceSelects(svc, p));
    const existing = slices.list(ns).filter((s) => serviceKeyOfSlice(s) === key);
    if (tracker.stale(key, existing)) return { requeueAfter: STALE_RECHECK_MS };
    const plan = planEndpointSlices(svc, selected, existing);
    if (isEmptyPlan(plan)) return;
    // Creates and updates go first so that traffic always has somewhere to go. The client's
    // errors name the object and the verb; they stay ApiErrors so that the loop can tell a
    // routine conflict from a real failure.
    for (const s of plan.create) {
      try {
        tracker.written(key, await client.create(ENDPOINTSLICES, ns, s));
      } catch (e) {
        if (isNamespaceTerminating(e)) return;
        throw e;
      }
    }
    for (const s of plan.update) tracker.written(key, await client.update(ENDPOINTSLICES, s));
    for (const s of plan.delete) {
      try {
        await client.delete(ENDPOINTSLICES, ns, s.metadata.name as string, { preconditions: { uid: s.metadata.uid } });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      tracker.deleted(key, s);
    }
  }

  return runController({
    log,
    name: 'endpointslice',
    informers: [services, pods, slices],
    workers: 5,
    keyOf: (obj, inf) => {
      if (inf === pods) return servicesForPod(obj, services.list(obj.metadata.namespace));
      if (inf === slices) return serviceKeyOfSlice(obj);
      return keyOfObject(obj);
    },
    async reconcile(key) {
      const [ns, name] = key.split('/');
      const svc = services.get(ns, name);
      if (!svc) {
        // The garbage collector removes the slices through their owner references.
        tracker.forget(key);
        return;
      }
      if (!managesEndpoints(svc)) return;
      return write(key, svc);
    },
  });
}
