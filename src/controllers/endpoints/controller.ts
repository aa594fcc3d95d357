import type { KObject } from '../../api/types.js';
import { isAlreadyExists, isNamespaceTerminating, isNotFound, type ApiClient } from '../../client/client.js';
import { keyOfObject, type SharedInformers } from '../../client/informer.js';
import { servicesForPod } from '../endpointslice/controller.js';
import { managesEndpoints, serviceSelects } from '../endpointslice/service.js';
import { runController, type RunningController } from '../../client/loop.js';
import { ANNOTATION_LEADER, planEndpoints } from './sync.js';
import type { Logger } from '../../log.js';
import { ENDPOINTS, PODS, SERVICES } from '../../client/resources.js';

// The Endpoints controller (pkg/controller/endpoint): the legacy per-Service Endpoints
// object, still read by older clients and `kubectl get endpoints`.


export function startEndpointsController(client: ApiClient, informers: SharedInformers, log?: Logger): RunningController {
  const services = informers.informer(SERVICES);
  const pods = informers.informer(PODS);
  const endpoints = informers.informer(ENDPOINTS);

  // Versions of Endpoints we have since replaced (staleEndpointsTracker): while the cache
  // still shows one, deciding from it would only earn a conflict. The informer's event for
  // our write requeues the Service.
  const replaced = new Map<string, string>();

  async function sync(svc: KObject, current: KObject | undefined, retried = false): Promise<void> {
    const ns = svc.metadata.namespace as string;
    const name = svc.metadata.name as string;
    const key = `${ns}/${name}`;
    const plan = planEndpoints(svc, pods.list(ns).filter((p) => serviceSelects(svc, p)), current);
    if (plan.action === 'none') return;
    try {
      if (plan.action === 'create') await client.create(ENDPOINTS, ns, plan.endpoints);
      else {
        const written = await client.update(ENDPOINTS, plan.endpoints);
        const old = current?.metadata.resourceVersion;
        if (old && written.metadata.resourceVersion !== old) replaced.set(key, old);
      }
    } catch (e) {
      if (isNamespaceTerminating(e)) return;
      // Our cache has not seen the Endpoints yet (often our own earlier create): decide again from the stored one.
      if (plan.action === 'create' && isAlreadyExists(e) && !retried) return sync(svc, await client.get(ENDPOINTS, ns, name), true);
      throw e;
    }
  }

  const running = runController({
    log,
    name: 'endpoints',
    informers: [services, pods, endpoints],
    workers: 5,
    keyOf: (obj, inf) => {
      if (inf === pods) return servicesForPod(obj, services.list(obj.metadata.namespace));
      if (inf === endpoints) {
        // Edits to, or the deletion of, Endpoints we manage are undone; others are their owners'.
        const svc = services.get(obj.metadata.namespace, obj.metadata.name as string);
        return svc && managesEndpoints(svc) ? keyOfObject(obj) : undefined;
      }
      return keyOfObject(obj);
    },
    async reconcile(key) {
      const [ns, name] = key.split('/');
      const svc = services.get(ns, name);
      if (!svc) {
        replaced.delete(key);
        // The Endpoints of a deleted Service go with it, whoever wrote them.
        try {
          await client.delete(ENDPOINTS, ns, name);
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
        return;
      }
      if (!managesEndpoints(svc)) return;
      const cached = endpoints.get(ns, name);
      if (cached && replaced.get(key) === cached.metadata.resourceVersion) return;
      replaced.delete(key);
      return sync(svc, cached);
    },
  });

  // checkLeftoverEndpoints: Services deleted while the controller was down leave Endpoints
  // that no event will ever mention.
  void running.ready.then(() => {
    for (const ep of endpoints.list()) {
      if (ep.metadata.annotations?.[ANNOTATION_LEADER] === undefined) running.queue.add(keyOfObject(ep));
    }
  });
  return running;
}
