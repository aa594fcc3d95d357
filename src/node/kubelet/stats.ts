import type { KObject } from '../../api/types.js';
import type { Clock, PodRuntime } from './cri.js';

// /stats/summary in the shape of the kubelet's Summary API (stats/v1alpha1), per pod from
// the pod cgroup; usageNanoCores is the rate between two samples.

interface Sample {
  at: number;
  cpu: number;
}

export class StatsCollector {
  private last = new Map<string, Sample>();
  constructor(
    private readonly runtime: PodRuntime,
    private readonly clock: Clock,
  ) {}

  summary(nodeName: string, pods: KObject[]): Record<string, unknown> {
    const now = this.clock.now();
    const time = new Date(now).toISOString().replace(/\.\d+Z$/, 'Z');
    const out: Record<string, unknown>[] = [];
    let nodeCpu = 0;
    let nodeMem = 0;
    let nodeRate = 0;
    const seen = new Set<string>();
    for (const pod of pods) {
      const uid = pod.metadata.uid ?? '';
      const s = this.runtime.stats(uid);
      if (!s) continue;
      seen.add(uid);
      const prev = this.last.get(uid);
      const rate = prev && now > prev.at ? Math.max(0, Math.round(((s.cpuUsageNanos - prev.cpu) * 1e9) / ((now - prev.at) * 1e6))) : 0;
      this.last.set(uid, { at: now, cpu: s.cpuUsageNanos });
      nodeCpu += s.cpuUsageNanos;
      nodeMem += s.memoryBytes;
      nodeRate += rate;
      out.push({
        podRef: { name: pod.metadata.name, namespace: pod.metadata.namespace, uid },
        startTime: (pod.status as { startTime?: string } | undefined)?.startTime,
        cpu: { time, usageNanoCores: rate, usageCoreNanoSeconds: s.cpuUsageNanos },
        memory: { time, usageBytes: s.memoryBytes, workingSetBytes: s.memoryBytes },
        containers: [],
      });
    }
    for (const k of this.last.keys()) if (!seen.has(k)) this.last.delete(k);
    return {
      node: {
        nodeName,
        cpu: { time, usageNanoCores: nodeRate, usageCoreNanoSeconds: nodeCpu },
        memory: { time, usageBytes: nodeMem, workingSetBytes: nodeMem },
      },
      pods: out,
    };
  }
}
