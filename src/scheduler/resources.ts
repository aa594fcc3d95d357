import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import { parseQuantity } from '../api/validation/quantity.js';

// Resource amounts as the scheduler compares them: cpu in millicores, everything else in
// whole units (bytes, counts), rounded up like resource.Quantity's MilliValue/Value.

export type ResourceList = Record<string, number>;

/** What the scheduler assumes for a container that requests no cpu/memory, when scoring only. */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

function roundUp(v: number): number {
  // Floating point makes 0.1 * 1000 = 100.00000000000001; that is 100, not 101.
  const r = Math.round(v);
  return Math.abs(v - r) < 1e-6 ? r : Math.ceil(v);
}

/** One quantity in the scheduler's unit for that resource; 0 when it does not parse. */
export function amount(resource: string, q: unknown): number {
  const v = parseQuantity(q);
  if (v === undefined || v <= 0) return 0;
  return resource === 'cpu' ? roundUp(v * 1000) : roundUp(v);
}

export function resourceList(raw: Record<string, unknown> | undefined | null): ResourceList {
  const out: ResourceList = {};
  for (const [k, v] of Object.entries(raw ?? {})) out[k] = amount(k, v);
  return out;
}

function add(into: ResourceList, from: ResourceList): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

function max(into: ResourceList, from: ResourceList): void {
  for (const [k, v] of Object.entries(from)) if (v > (into[k] ?? 0)) into[k] = v;
}

type Defaults = { cpu: number; memory: number };

function containerRequests(c: IContainer, defaults?: Defaults): ResourceList {
  const raw = (c.resources?.requests ?? {}) as Record<string, unknown>;
  const out = resourceList(raw);
  if (defaults) {
    if (!('cpu' in raw)) out.cpu = defaults.cpu;
    if (!('memory' in raw)) out.memory = defaults.memory;
  }
  return out;
}

/**
 * The pod's effective requests (resourcehelper.PodRequests): regular containers and sidecars
 * (restartable init containers) add up; each other init container runs alone beside the
 * sidecars started before it, so the pod needs the largest of those; overhead comes on top.
 * With `defaults`, missing cpu/memory requests count as those amounts (the scorer's view).
 */
export function podRequests(spec: IPodSpec | undefined, defaults?: Defaults): ResourceList {
  const reqs: ResourceList = {};
  for (const c of spec?.containers ?? []) add(reqs, containerRequests(c, defaults));
  const sidecars: ResourceList = {};
  const initMax: ResourceList = {};
  for (const c of spec?.initContainers ?? []) {
    const r = containerRequests(c, defaults);
    if (c.restartPolicy === 'Always') {
      add(reqs, r);
      add(sidecars, r);
      max(initMax, sidecars);
    } else {
      const alone: ResourceList = { ...r };
      add(alone, sidecars);
      max(initMax, alone);
    }
  }
  max(reqs, initMax);
  add(reqs, resourceList(spec?.overhead as Record<string, unknown> | undefined));
  return reqs;
}

/** Extended resources, hugepages and attachable volumes: the ones checked beside cpu/memory/storage. */
export function isScalarResource(name: string): boolean {
  if (name.startsWith('hugepages-') || name.startsWith('attachable-volumes-')) return true;
  const native = !name.includes('/') || name.includes('kubernetes.io/');
  return !native && !name.startsWith('requests.');
}
