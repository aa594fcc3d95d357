import type { KObject } from '../../api/types.js';
import type { Clock, PodRuntime, PodStats } from './cri.js';

// The kubelet's resource endpoints, read from the cgroup counters at request time (as cadvisor's
// housekeeping would have them): /stats/summary in the Summary API's shape (stats/v1alpha1) and
// /metrics/resource in the Prometheus text the kubelet's resource metrics collector writes.
// The node's figures are the sum of its pods: a skiff node is a share of the machine, and its
// pods are all that run on it.

/** One pod's cgroup readings, taken at `at` (ms since the epoch). */
export interface PodSample {
  pod: KObject;
  at: number;
  stats: PodStats;
}

interface CpuSample {
  at: number;
  cpu: number;
}

function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** strconv.FormatFloat(v, 'g', -1, 64), as the Prometheus client writes sample values. */
export function goFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  if (v === 0) return '0';
  const [mant, expText] = v.toExponential().split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) {
    const sign = exp < 0 ? '-' : '+';
    return `${mant}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return String(v);
}

function labels(l: Record<string, string>): string {
  return `{${Object.entries(l)
    .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
    .join(',')}}`;
}

function family(name: string, help: string, type: 'counter' | 'gauge', lines: string[]): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${lines.join('')}`;
}

/**
 * The /metrics/resource body: kubelet pkg/kubelet/metrics/collectors/resource_metrics.go, with
 * families sorted by name as the Prometheus registry gathers them, and each sample carrying the
 * time its counters were read (metrics-server computes rates from those timestamps).
 */
export function resourceMetricsText(samples: PodSample[], nodeAt: number): string {
  const cCpu: string[] = [];
  const cMem: string[] = [];
  const cStart: string[] = [];
  const pCpu: string[] = [];
  const pMem: string[] = [];
  let nodeCpu = 0;
  let nodeMem = 0;
  for (const { pod, at, stats } of samples) {
    const ns = pod.metadata.namespace ?? '';
    const name = pod.metadata.name ?? '';
    for (const c of [...stats.containers].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const l = labels({ container: c.name, namespace: ns, pod: name });
      cCpu.push(`container_cpu_usage_seconds_total${l} ${goFloat(c.cpuUsageNanos / 1e9)} ${at}\n`);
      cMem.push(`container_memory_working_set_bytes${l} ${goFloat(c.memoryBytes)} ${at}\n`);
      cStart.push(`container_start_time_seconds${l} ${goFloat(Date.parse(c.startedAt) / 1000)} ${Date.parse(c.startedAt)}\n`);
    }
    const l = labels({ namespace: ns, pod: name });
    pCpu.push(`pod_cpu_usage_seconds_total${l} ${goFloat(stats.cpuUsageNanos / 1e9)} ${at}\n`);
    pMem.push(`pod_memory_working_set_bytes${l} ${goFloat(stats.memoryBytes)} ${at}\n`);
    nodeCpu += stats.cpuUsageNanos;
    nodeMem += stats.memoryBytes;
  }
  return [
    family('container_cpu_usage_seconds_total', '[STABLE] Cumulative cpu time consumed by the container in core-seconds', 'counter', cCpu),
    family('container_memory_working_set_bytes', '[STABLE] Current working set of the container in bytes', 'gauge', cMem),
    family('container_start_time_seconds', '[STABLE] Start time of the container since unix epoch in seconds', 'gauge', cStart),
    family('node_cpu_usage_seconds_total', '[STABLE] Cumulative cpu time consumed by the node in core-seconds', 'counter', [`node_cpu_usage_seconds_total ${goFloat(nodeCpu / 1e9)} ${nodeAt}\n`]),
    family('node_memory_working_set_bytes', '[STABLE] Current working set of the node in bytes', 'gauge', [`node_memory_working_set_bytes ${goFloat(nodeMem)} ${nodeAt}\n`]),
    family('pod_cpu_usage_seconds_total', '[STABLE] Cumulative cpu time consumed by the pod in core-seconds', 'counter', pCpu),
    family('pod_memory_working_set_bytes', '[STABLE] Current working set of the pod in bytes', 'gauge', pMem),
    family('resource_scrape_error', '[STABLE] 1 if there was an error while getting container metrics, 0 otherwise', 'gauge', ['resource_scrape_error 0\n']),
    family('scrape_error', '[ALPHA] 1 if there was an error while getting container metrics, 0 otherwise', 'gauge', ['scrape_error 0\n']),
  ].join('');
}

export class StatsCollector {
  /** The previous CPU reading per pod, container and node, for usageNanoCores. */
  private last = new Map<string, CpuSample>();
  constructor(
    private readonly runtime: PodRuntime,
    private readonly clock: Clock,
  ) {}

  /** Reads the cgroups of every pod that has a sandbox on this node. */
  sample(pods: KObject[]): PodSample[] {
    const out: PodSample[] = [];
    for (const pod of pods) {
      const stats = this.runtime.stats(pod.metadata.uid ?? '');
      if (stats) out.push({ pod, at: this.clock.now(), stats });
    }
    return out;
  }

  resourceMetrics(pods: KObject[]): string {
    return resourceMetricsText(this.sample(pods), this.clock.now());
  }

  /** Nanocores since the previous reading of `key`; 0 on the first. */
  private rate(key: string, at: number, cpu: number, seen: Set<string>): number {
    seen.add(key);
    const prev = this.last.get(key);
    this.last.set(key, { at, cpu });
    if (!prev || at <= prev.at || cpu < prev.cpu) return 0;
    return Math.round(((cpu - prev.cpu) * 1000) / (at - prev.at));
  }

  summary(nodeName: string, pods: KObject[]): Record<string, unknown> {
    const samples = this.sample(pods);
    const now = this.clock.now();
    const seen = new Set<string>();
    let nodeCpu = 0;
    let nodeMem = 0;
    const out = samples.map(({ pod, at, stats }) => {
      const uid = pod.metadata.uid ?? '';
      const time = rfc3339(at);
      nodeCpu += stats.cpuUsageNanos;
      nodeMem += stats.memoryBytes;
      return {
        podRef: { name: pod.metadata.name, namespace: pod.metadata.namespace, uid },
        startTime: (pod.status as { startTime?: string } | undefined)?.startTime,
        containers: stats.containers.map((c) => ({
          name: c.name,
          startTime: c.startedAt,
          cpu: { time, usageNanoCores: this.rate(`${uid}/${c.name}`, at, c.cpuUsageNanos, seen), usageCoreNanoSeconds: c.cpuUsageNanos },
          memory: { time, workingSetBytes: c.memoryBytes },
        })),
        cpu: { time, usageNanoCores: this.rate(uid, at, stats.cpuUsageNanos, seen), usageCoreNanoSeconds: stats.cpuUsageNanos },
        memory: { time, workingSetBytes: stats.memoryBytes },
      };
    });
    const nodeRate = this.rate('', now, nodeCpu, seen);
    for (const k of this.last.keys()) if (!seen.has(k)) this.last.delete(k);
    return {
      node: {
        nodeName,
        cpu: { time: rfc3339(now), usageNanoCores: nodeRate, usageCoreNanoSeconds: nodeCpu },
        memory: { time: rfc3339(now), workingSetBytes: nodeMem },
      },
      pods: out,
    };
  }
}
