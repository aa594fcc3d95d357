import type { ApiClient } from '../../client/client.js';
import { ApiError } from '../../client/client.js';
import { parseGoDuration } from '../../api/duration.js';
import { milliValue } from './quantity.js';
import type { PodMetricsInfo } from './replica-calculator.js';

// The resource metrics client of pkg/controller/podautoscaler/metrics: PodMetrics from
// metrics.k8s.io/v1beta1 summed per pod (or one container). Behind an interface so the
// reconcile logic is tested without sockets.

export interface ResourceMetrics {
  metrics: PodMetricsInfo;
  /** The first item's timestamp (ms). */
  timestamp: number;
}

export interface MetricsClient {
  /** Rejects with upstream's text, e.g. "no metrics returned from resource metrics API". */
  getResourceMetric(resource: string, namespace: string, selector: string, container: string): Promise<ResourceMetrics>;
}

interface PodMetricsItem {
  metadata: { name: string };
  timestamp?: string;
  window?: string;
  containers?: { name: string; usage?: Record<string, unknown> }[];
}

/** getPodMetrics / getContainerMetrics: a pod missing the resource in any container has no sample. */
export function podMetricsInfo(items: PodMetricsItem[], resource: string, container: string): PodMetricsInfo {
  const res: PodMetricsInfo = new Map();
  for (const m of items) {
    const sample = (value: number) => ({ value, timestamp: Date.parse(m.timestamp ?? '') || 0, windowMs: parseGoDuration(m.window ?? '') ?? 0 });
    const containers = m.containers ?? [];
    if (container) {
      const c = containers.find((x) => x.name === container);
      const v = c ? milliValue(c.usage?.[resource]) : undefined;
      if (v !== undefined) res.set(m.metadata.name, sample(v));
      continue;
    }
    let sum = 0;
    let missing = containers.length === 0;
    for (const c of containers) {
      const v = milliValue(c.usage?.[resource]);
      if (v === undefined) {
        missing = true;
        break;
      }
      sum += v;
    }
    if (!missing) res.set(m.metadata.name, sample(sum));
  }
  return res;
}

/**
 * What client-go makes of a failed list: the server's Status message, or for a group no one
 * serves (404) and an unavailable aggregated API (503) its generic text naming the resource.
 */
function listError(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 404) return 'the server could not find the requested resource (get pods.metrics.k8s.io)';
    if (e.status === 503) return 'the server is currently unable to handle the request (get pods.metrics.k8s.io)';
    return e.body.message ?? e.message;
  }
  return (e as Error).message;
}

export class RestMetricsClient implements MetricsClient {
  constructor(private readonly client: Pick<ApiClient, 'request'>) {}

  async getResourceMetric(resource: string, namespace: string, selector: string, container: string): Promise<ResourceMetrics> {
    const path = `/apis/metrics.k8s.io/v1beta1/namespaces/${encodeURIComponent(namespace)}/pods?labelSelector=${encodeURIComponent(selector)}`;
    let list: { items?: PodMetricsItem[] };
    try {
      list = await this.client.request('GET', path, { what: `listing pods.metrics.k8s.io in ${namespace}` });
    } catch (e) {
      throw new Error(`unable to fetch metrics from resource metrics API: ${listError(e)}`);
    }
    const items = list?.items ?? [];
    if (items.length === 0) throw new Error('no metrics returned from resource metrics API');
    return { metrics: podMetricsInfo(items, resource, container), timestamp: Date.parse(items[0].timestamp ?? '') || 0 };
  }
}
