import type { MetricsBatch, MetricsPoint } from './decode.js';

// metrics-server's pkg/storage: the last two scrapes of every node and container. A rate needs
// two points of the same process, so a point whose start time changed (a restarted container)
// or whose counter went back starts over; nodes and pods missing from the latest scrape are gone.

export interface Usage {
  /** The later point's time (ms). */
  timestamp: number;
  /** Between the two points (ms). */
  windowMs: number;
  /** CPU rate in nanocores. */
  cpuNanocores: number;
  memoryBytes: number;
}

interface Pair {
  prev?: MetricsPoint;
  last: MetricsPoint;
}

function advance(old: Pair | undefined, next: MetricsPoint): Pair {
  if (!old) return { last: next };
  if (next.timestamp <= old.last.timestamp) return old;
  if (next.startTime !== old.last.startTime || next.cumulativeCpuUsed < old.last.cumulativeCpuUsed) return { last: next };
  return { prev: old.last, last: next };
}

function usage(p: Pair | undefined): Usage | undefined {
  if (!p?.prev) return undefined;
  const windowMs = p.last.timestamp - p.prev.timestamp;
  if (windowMs <= 0) return undefined;
  return {
    timestamp: p.last.timestamp,
    windowMs,
    cpuNanocores: Math.round(((p.last.cumulativeCpuUsed - p.prev.cumulativeCpuUsed) * 1000) / windowMs),
    memoryBytes: p.last.memoryUsage,
  };
}

export class MetricsStorage {
  private nodes = new Map<string, Pair>();
  private pods = new Map<string, Map<string, Pair>>();

  store(batch: MetricsBatch): void {
    const nodes = new Map<string, Pair>();
    for (const [name, p] of batch.nodes) nodes.set(name, advance(this.nodes.get(name), p));
    const pods = new Map<string, Map<string, Pair>>();
    for (const [key, containers] of batch.pods) {
      const old = this.pods.get(key);
      const next = new Map<string, Pair>();
      for (const [c, p] of containers) next.set(c, advance(old?.get(c), p));
      pods.set(key, next);
    }
    this.nodes = nodes;
    this.pods = pods;
  }

  /** True once some node has two points: metrics-server's readiness (`metric-storage-ready`). */
  ready(): boolean {
    for (const p of this.nodes.values()) if (p.prev) return true;
    return false;
  }

  node(name: string): Usage | undefined {
    return usage(this.nodes.get(name));
  }

  /** The pod's containers with a rate, or undefined while any container lacks one. */
  pod(namespace: string, name: string): { name: string; usage: Usage }[] | undefined {
    const containers = this.pods.get(`${namespace}/${name}`);
    if (!containers) return undefined;
    const out: { name: string; usage: Usage }[] = [];
    for (const [c, p] of containers) {
      const u = usage(p);
      if (!u) return undefined;
      out.push({ name: c, usage: u });
    }
    return out.length > 0 ? out : undefined;
  }

  /** `namespace/name` of every pod in the store. */
  podKeys(): string[] {
    return [...this.pods.keys()];
  }
}
