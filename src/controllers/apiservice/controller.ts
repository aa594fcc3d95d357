import type { KObject } from '../../api/types.js';
import { isNotFound, type ApiClient } from '../../client/client.js';
import type { SharedInformers } from '../../client/informer.js';
import { runController, type RunningController } from '../../client/loop.js';
import { dialThroughKubelet, requestOverTLS, type ServiceEndpoint } from '../../client/service-dial.js';
import { APISERVICES, ENDPOINTSLICES, SERVICES } from '../../client/resources.js';
import { log as defaultLog, type Logger } from '../../log.js';
import { availableStatus, decide, discoveryResult, serviceRefOf, withCondition } from './availability.js';

// The loop around availability.ts: APIServices, Services and EndpointSlices in; the Available
// condition out. Upstream checks again every 30 s even when nothing changed (a backend can stop
// answering without any object changing); so does this one, sooner while unavailable.
// Availability gates the aggregator's proxy: while False, every request to the group gets 503.

const RECHECK_AVAILABLE_MS = 30_000;
const RECHECK_UNAVAILABLE_MS = 5_000;
const DISCOVERY_TIMEOUT_MS = 5_000;

/** Upstream's discovery attempts per check, sent at once: one answer is enough. */
const DISCOVERY_ATTEMPTS = 5;

/** Sends the discovery request through the endpoint's node agent; the error text, or undefined on 200. */
async function discoveryAttempt(nodesDir: string, a: KObject, ep: ServiceEndpoint): Promise<string | undefined> {
  const spec = (a.spec ?? {}) as { group?: string; version?: string; insecureSkipTLSVerify?: boolean; caBundle?: string };
  const ref = serviceRefOf(a)!;
  if (!ep.node) return `endpoint ${ep.ip} names no node`;
  try {
    const stream = await dialThroughKubelet(nodesDir, ep.node, ep.ip, ep.port, DISCOVERY_TIMEOUT_MS);
    const r = await requestOverTLS(stream, {
      method: 'GET',
      path: `/apis/${spec.group}/${spec.version}`,
      headers: { accept: 'application/json' },
      insecureSkipTLSVerify: !!spec.insecureSkipTLSVerify,
      caBundle: spec.caBundle,
      serverName: `${ref.name}.${ref.namespace}.svc`,
      timeoutMs: DISCOVERY_TIMEOUT_MS,
    });
    r.res.resume();
    return r.statusCode === 200 ? undefined : `bad status from https://${ep.ip}:${ep.port}/apis/${spec.group}/${spec.version}: ${r.statusCode}`;
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * available_controller.go's check: several discovery requests at once, passed when any of them
 * is answered, so that one slow answer on a busy machine does not mark the APIService
 * unavailable (and every request to its group 503) until the next check. Otherwise the error of
 * the last attempt to fail.
 */
export function checkDiscovery(nodesDir: string, a: KObject, ep: ServiceEndpoint, attempt = discoveryAttempt): Promise<string | undefined> {
  return new Promise((resolve) => {
    let failed = 0;
    for (let i = 0; i < DISCOVERY_ATTEMPTS; i++) {
      void attempt(nodesDir, a, ep).then((error) => {
        if (error === undefined) resolve(undefined);
        else if (++failed === DISCOVERY_ATTEMPTS) resolve(error);
      });
    }
  });
}

export function startAPIServiceAvailability(client: ApiClient, informers: SharedInformers, nodesDir: string, log?: Logger): RunningController {
  const apiservices = informers.informer(APISERVICES);
  const services = informers.informer(SERVICES);
  const slices = informers.informer(ENDPOINTSLICES);
  const refersTo = (ns: string | undefined, name: string | undefined) =>
    apiservices
      .list()
      .filter((a) => {
        const ref = serviceRefOf(a);
        return ref && ref.namespace === ns && ref.name === name;
      })
      .map((a) => a.metadata.name!);
  return runController({
    name: 'apiservice-availability',
    log,
    informers: [apiservices, services, slices],
    keyOf: (obj, inf) => {
      if (inf === apiservices) return obj.metadata.name;
      if (inf === services) return refersTo(obj.metadata.namespace, obj.metadata.name);
      return refersTo(obj.metadata.namespace, obj.metadata.labels?.['kubernetes.io/service-name']);
    },
    async reconcile(name) {
      const a = apiservices.get(undefined, name);
      if (!a) return;
      const ref = serviceRefOf(a);
      const svc = ref ? services.get(ref.namespace, ref.name!) : undefined;
      const mine = ref ? slices.list(ref.namespace).filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === ref.name) : [];
      const d = decide(a, svc, mine);
      const condition = 'condition' in d ? d.condition : discoveryResult(a, d.check, await checkDiscovery(nodesDir, a, d.check));
      const status = withCondition(a, condition, new Date().toISOString().replace(/\.\d+Z$/, 'Z'));
      // While unavailable every request to the group is answered 503: say when that starts.
      if (status && availableStatus(a) === 'True' && condition.status !== 'True') {
        (log ?? defaultLog)('warning', 'changing APIService availability', { apiservice: name, newStatus: condition.status, reason: condition.reason, message: condition.message });
      }
      if (status) {
        try {
          await client.updateStatus(APISERVICES, { ...a, status });
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
      }
      if (!ref) return;
      return { requeueAfter: condition.status === 'True' ? RECHECK_AVAILABLE_MS : RECHECK_UNAVAILABLE_MS };
    },
  });
}

