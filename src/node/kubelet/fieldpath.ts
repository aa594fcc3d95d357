import type { IPodStatus } from 'kubernetes-models/v1/PodStatus';
import type { KObject } from '../../api/types.js';
import { parseQuantity } from '../../api/validation/quantity.js';
import type { IResourceRequirements } from 'kubernetes-models/v1/ResourceRequirements';

// Downward API values: fieldRef paths and resourceFieldRef, shared by env and volumes.

export interface NodeAllocatable {
  cpuMillis: number;
  memoryBytes: number;
  ephemeralStorageBytes: number;
}

function formatMap(m: Record<string, string> | undefined): string {
  // Upstream FormatMap: sorted `key="value"` lines, values quoted as Go's %q.
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(m![k])}`)
    .join('\n');
}

/** The value of a fieldRef path, or an Error naming the unsupported path. */
export function fieldPathValue(pod: KObject, fieldPath: string): string | Error {
  const meta = pod.metadata;
  const spec = (pod.spec ?? {}) as Record<string, unknown>;
  const status = (pod.status ?? {}) as IPodStatus;
  const sub = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(fieldPath) ?? /^metadata\.(labels|annotations)\["(.*)"\]$/.exec(fieldPath);
  if (sub) return (meta[sub[1]] as Record<string, string> | undefined)?.[sub[2]] ?? '';
  switch (fieldPath) {
    case 'metadata.name':
      return meta.name ?? '';
    case 'metadata.namespace':
      return meta.namespace ?? '';
    case 'metadata.uid':
      return meta.uid ?? '';
    case 'metadata.labels':
      return formatMap(meta.labels);
    case 'metadata.annotations':
      return formatMap(meta.annotations);
    case 'spec.nodeName':
      return String(spec.nodeName ?? '');
    case 'spec.serviceAccountName':
      return String(spec.serviceAccountName ?? '');
    case 'status.hostIP':
      return status.hostIP ?? '';
    case 'status.hostIPs':
      return (status.hostIPs ?? []).map((i) => i.ip).join(',');
    case 'status.podIP':
      return status.podIP ?? '';
    case 'status.podIPs':
      return (status.podIPs ?? []).map((i) => i.ip).join(',');
    default:
      return new Error(`unsupported fieldPath: ${fieldPath}`);
  }
}

/** resourceFieldRef: limits default to node allocatable; values rounded up by the divisor. */
export function resourceFieldValue(
  container: { name?: string; resources?: IResourceRequirements } | undefined,
  ref: { resource?: string; divisor?: string | number; containerName?: string },
  alloc: NodeAllocatable,
): string | Error {
  if (!container) return new Error(`container ${ref.containerName} not found`);
  const [kind, res] = (ref.resource ?? '').split('.', 2) as ['limits' | 'requests', string];
  const r = container.resources ?? {};
  const divisor = parseQuantity(ref.divisor ?? 0) || 0;
  const allocOf = (name: string): number =>
    name === 'cpu' ? alloc.cpuMillis / 1000 : name === 'memory' ? alloc.memoryBytes : name === 'ephemeral-storage' ? alloc.ephemeralStorageBytes : 0;
  let value: number;
  if (kind === 'limits') value = r.limits?.[res] !== undefined ? parseQuantity(r.limits[res]) ?? 0 : allocOf(res);
  else if (kind === 'requests') {
    const q = r.requests?.[res] ?? r.limits?.[res];
    // An unset cpu request is reported as 0 after rounding; memory as 0.
    value = q !== undefined ? parseQuantity(q) ?? 0 : 0;
  } else return new Error(`unsupported container resource : ${ref.resource}`);
  if (res === 'cpu') {
    const d = divisor || 1;
    return String(Math.ceil(Math.round(value * 1000) / Math.round(d * 1000)));
  }
  if (res === 'memory' || res === 'ephemeral-storage' || res.startsWith('hugepages-')) {
    return String(Math.ceil(value / (divisor || 1)));
  }
  return new Error(`unsupported container resource : ${ref.resource}`);
}
