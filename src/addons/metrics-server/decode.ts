// metrics-server's scraper/client/resource decoder: the kubelet's /metrics/resource text turned
// into one batch of cumulative CPU, working set and start time per node and container, each
// with the time its counters were read.

export interface MetricsPoint {
  /** Milliseconds since the epoch, from the sample's timestamp. */
  timestamp: number;
  /** Cumulative CPU time in nanoseconds. */
  cumulativeCpuUsed: number;
  memoryUsage: number;
  /** Container start time (ms); 0 when unknown. */
  startTime: number;
}

export interface PodKey {
  namespace: string;
  name: string;
}

export interface MetricsBatch {
  nodes: Map<string, MetricsPoint>;
  /** By `namespace/name`, then by container name. */
  pods: Map<string, Map<string, MetricsPoint>>;
}

function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) out[m[1]] = m[2].replace(/\\n/g, '\n').replace(/\\(.)/g, '$1');
  return out;
}

function point(points: Map<string, Partial<MetricsPoint>>, key: string): Partial<MetricsPoint> {
  let p = points.get(key);
  if (!p) points.set(key, (p = {}));
  return p;
}

/** Decodes one node's scrape; containers without both CPU and memory are left out, as upstream does. */
export function decodeResourceMetrics(node: string, text: string, now: number): MetricsBatch {
  const nodePoint: Partial<MetricsPoint> = {};
  const containers = new Map<string, Partial<MetricsPoint>>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)(?:\s+(-?\d+))?$/.exec(line.trim());
    if (!m) continue;
    const [, name, labelText, valueText, tsText] = m;
    const value = Number(valueText);
    const ts = tsText !== undefined ? Number(tsText) : now;
    const l = labelText ? parseLabels(labelText) : {};
    const key = `${l.namespace}/${l.pod}/${l.container}`;
    switch (name) {
      case 'node_cpu_usage_seconds_total':
        Object.assign(nodePoint, { cumulativeCpuUsed: Math.round(value * 1e9), timestamp: ts });
        break;
      case 'node_memory_working_set_bytes':
        nodePoint.memoryUsage = value;
        break;
      case 'container_cpu_usage_seconds_total':
        Object.assign(point(containers, key), { cumulativeCpuUsed: Math.round(value * 1e9), timestamp: ts });
        break;
      case 'container_memory_working_set_bytes':
        point(containers, key).memoryUsage = value;
        break;
      case 'container_start_time_seconds':
        point(containers, key).startTime = Math.round(value * 1000);
        break;
    }
  }
  const batch: MetricsBatch = { nodes: new Map(), pods: new Map() };
  if (nodePoint.cumulativeCpuUsed !== undefined && nodePoint.memoryUsage !== undefined) batch.nodes.set(node, { startTime: 0, ...nodePoint } as MetricsPoint);
  for (const [key, p] of containers) {
    if (p.cumulativeCpuUsed === undefined || p.memoryUsage === undefined) continue;
    const [ns, pod, container] = key.split('/');
    const podKey = `${ns}/${pod}`;
    let c = batch.pods.get(podKey);
    if (!c) batch.pods.set(podKey, (c = new Map()));
    c.set(container, { startTime: 0, ...p } as MetricsPoint);
  }
  return batch;
}
