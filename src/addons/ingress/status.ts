import type { IServiceStatus } from 'kubernetes-models/v1/ServiceStatus';
import type { IIngressStatus } from 'kubernetes-models/networking.k8s.io/v1/IngressStatus';
import type { KObject } from '../../api/types.js';
import type { ApiClient } from '../../client/client.js';
import { isConflict, isNotFound } from '../../client/client.js';
import type { IngressRef } from './routes.js';
import type { Logger } from '../../log.js';
import { INGRESSES } from '../../client/resources.js';

// status.loadBalancer.ingress of every served Ingress, copied from the --publish-service
// Service's status as ingress-nginx's status syncer does (ip and hostname, sorted).

export interface LoadBalancerIngress {
  ip?: string;
  hostname?: string;
}

/** The addresses to publish: the Service's load-balancer ingress points, in a stable order. */
export function publishedAddresses(service: KObject | undefined): LoadBalancerIngress[] {
  const points = ((service?.status as IServiceStatus | undefined)?.loadBalancer?.ingress ?? []);
  const out: LoadBalancerIngress[] = [];
  for (const p of points) {
    if (p.ip) out.push({ ip: p.ip });
    else if (p.hostname) out.push({ hostname: p.hostname });
  }
  out.sort((a, b) => {
    const ka = a.ip ?? a.hostname ?? '';
    const kb = b.ip ?? b.hostname ?? '';
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  return out;
}

function currentAddresses(ing: KObject): LoadBalancerIngress[] {
  const points = (ing.status as IIngressStatus | undefined)?.loadBalancer?.ingress ?? [];
  return points.map((p) => (p.ip ? { ip: p.ip } : { hostname: p.hostname }));
}

function same(a: LoadBalancerIngress[], b: LoadBalancerIngress[]): boolean {
  return a.length === b.length && a.every((x, i) => x.ip === b[i]!.ip && x.hostname === b[i]!.hostname);
}

/** Which served Ingresses need their status written, and with what. */
export function statusUpdates(served: IngressRef[], ingresses: KObject[], addresses: LoadBalancerIngress[]): KObject[] {
  const byKey = new Map(ingresses.map((i) => [`${i.metadata.namespace}/${i.metadata.name}`, i]));
  const out: KObject[] = [];
  for (const ref of served) {
    const ing = byKey.get(`${ref.namespace}/${ref.name}`);
    if (!ing || same(currentAddresses(ing), addresses)) continue;
    const status = { ...(ing.status as IIngressStatus | undefined), loadBalancer: { ingress: addresses } };
    out.push({ ...ing, status });
  }
  return out;
}

/**
 * Writes the updates one by one; a conflict or a vanished Ingress is left to the next sync
 * (the informer brings the newer object and the table rebuild calls this again).
 */
export async function writeStatuses(client: Pick<ApiClient, 'updateStatus'>, updates: KObject[], log: Logger): Promise<void> {
  for (const ing of updates) {
    try {
      await client.updateStatus(INGRESSES, ing);
    } catch (e) {
      if (isConflict(e) || isNotFound(e)) continue;
      log('error', `updating status of Ingress ${ing.metadata.namespace}/${ing.metadata.name}: ${(e as Error).message}`);
    }
  }
}
