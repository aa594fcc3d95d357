import type { KObject, OwnerReference } from '../../api/types.js';
import { isPodReady } from '../podutil.js';
import { canonical, semanticEqual } from './canonical.js';
import {
  findPort,
  isServiceIPSet,
  podIPsOfFamily,
  podSpec,
  serviceAddressTypes,
  serviceSpec,
  shouldPodBeInEndpoints,
  shouldSetHostname,
} from './service.js';

// What the EndpointSlice controller should write for one Service, as the staging
// k8s.io/endpointslice Reconciler decides it: endpoints grouped by their resolved ports,
// existing slices kept and patched where possible, leftovers packed into the fullest slice
// that still fits, new slices only for what remains, and one empty placeholder slice when a
// Service has no endpoints at all.

export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';
export const LABEL_MANAGED_BY = 'endpointslice.kubernetes.io/managed-by';
export const LABEL_HEADLESS = 'service.kubernetes.io/headless';
export const CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
export const MAX_ENDPOINTS_PER_SLICE = 100;

export interface EndpointPort {
  name: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

export interface Endpoint {
  addresses: string[];
  conditions: { ready: boolean; serving: boolean; terminating: boolean };
  hostname?: string;
  nodeName?: string;
  zone?: string;
  targetRef?: { kind: string; namespace?: string; name: string; uid?: string };
  [key: string]: unknown;
}

export interface SlicePlan {
  create: KObject[];
  update: KObject[];
  delete: KObject[];
}

export interface PlanOptions {
  maxEndpointsPerSlice?: number;
}

function endpointsOf(slice: KObject): Endpoint[] {
  return (slice.endpoints ?? []) as Endpoint[];
}

function portsOf(slice: KObject): EndpointPort[] {
  return (slice.ports ?? []) as EndpointPort[];
}

/** The Service ports as this pod serves them; ports whose named targetPort the pod lacks are left out. */
export function endpointPorts(svc: KObject, pod: KObject): EndpointPort[] {
  const spec = serviceSpec(svc);
  const out: EndpointPort[] = [];
  for (const sp of spec.ports ?? []) {
    const port = findPort(pod, sp);
    if (port === undefined) continue;
    const ep: EndpointPort = { name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP' };
    if (sp.appProtocol !== undefined) ep.appProtocol = sp.appProtocol;
    out.push(ep);
  }
  return out;
}

/** Slices with the same ports in any order belong to one group (NewPortMapKey). */
export function portMapKey(ports: EndpointPort[]): string {
  return ports.map(canonical).sort().join('|');
}

/** Which desired endpoint an existing one stands for: same addresses, hostname and target. */
function endpointKey(ep: Endpoint): string {
  return canonical([[...ep.addresses].sort(), ep.hostname ?? '', ep.targetRef?.namespace ?? '', ep.targetRef?.name ?? '']);
}

/** podToEndpoint: a terminating pod is never ready unless the Service publishes not-ready addresses. */
export function podToEndpoint(pod: KObject, svc: KObject, addressType: string): Endpoint {
  const serving = isPodReady(pod);
  const terminating = !!pod.metadata.deletionTimestamp;
  const ready = serviceSpec(svc).publishNotReadyAddresses === true || (serving && !terminating);
  const ep: Endpoint = {
    addresses: podIPsOfFamily(pod, addressType),
    conditions: { ready, serving, terminating },
  };
  const spec = podSpec(pod);
  if (shouldSetHostname(pod, svc)) ep.hostname = spec.hostname;
  ep.targetRef = { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name as string, uid: pod.metadata.uid };
  if (spec.nodeName) ep.nodeName = spec.nodeName;
  return ep;
}

function isReservedLabel(key: string): boolean {
  return key === LABEL_SERVICE_NAME || key === LABEL_MANAGED_BY;
}

/** The labels a Service's slices carry: the Service's own, the headless marker and the two reserved ones. */
export function sliceLabels(svc: KObject): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(svc.metadata.labels ?? {})) if (!isReservedLabel(k)) labels[k] = v;
  if (!isServiceIPSet(svc)) labels[LABEL_HEADLESS] = '';
  else delete labels[LABEL_HEADLESS];
  labels[LABEL_SERVICE_NAME] = svc.metadata.name as string;
  labels[LABEL_MANAGED_BY] = CONTROLLER_NAME;
  return labels;
}

export function serviceOwnerRef(svc: KObject): OwnerReference {
  return { apiVersion: 'v1', kind: 'Service', name: svc.metadata.name as string, uid: svc.metadata.uid as string, controller: true, blockOwnerDeletion: true };
}

export function ownedBy(slice: KObject, svc: KObject): boolean {
  return (slice.metadata.ownerReferences ?? []).some((r) => r.kind === 'Service' && r.name === svc.metadata.name && r.uid === svc.metadata.uid);
}

/** getEndpointSlicePrefix: `<service>-` unless that would make names too long. */
export function slicePrefix(serviceName: string): string {
  const prefix = `${serviceName}-`;
  return prefix.length + 5 <= 253 ? prefix : 'endpointslice-';
}

export function newEndpointSlice(svc: KObject, ports: EndpointPort[], addressType: string): KObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      generateName: slicePrefix(svc.metadata.name as string),
      namespace: svc.metadata.namespace,
      labels: sliceLabels(svc),
      ownerReferences: [serviceOwnerRef(svc)],
    },
    addressType,
    endpoints: [],
    ports,
  };
}

function clone(slice: KObject): KObject {
  return structuredClone(slice);
}

function labelsEqual(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  return semanticEqual(a ?? {}, b ?? {});
}

interface Group {
  ports: EndpointPort[];
  /** Desired endpoints by endpointKey, in pod order. */
  desired: Map<string, Endpoint>;
}

function desiredGroups(svc: KObject, pods: KObject[], addressType: string): Map<string, Group> {
  const groups = new Map<string, Group>();
  const headlessWithoutPorts = !(serviceSpec(svc).ports ?? []).length && !isServiceIPSet(svc);
  const ordered = [...pods].sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)));
  for (const pod of ordered) {
    // Terminating pods stay in slices (with terminating=true) so proxies can drain them.
    if (!shouldPodBeInEndpoints(pod, true)) continue;
    const ports = headlessWithoutPorts ? [] : endpointPorts(svc, pod);
    const key = portMapKey(ports);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports, desired: new Map() }));
    const ep = podToEndpoint(pod, svc, addressType);
    if (ep.addresses.length) g.desired.set(endpointKey(ep), ep);
  }
  return groups;
}

/** getSliceToFill: the unchanged slice that the leftovers fill most completely. */
function sliceToFill(slices: KObject[], n: number, max: number): KObject | undefined {
  let best: KObject | undefined;
  let bestDiff = max;
  for (const s of slices) {
    const diff = max - (n + endpointsOf(s).length);
    if (diff >= 0 && diff < bestDiff) {
      bestDiff = diff;
      best = s;
      if (diff === 0) break;
    }
  }
  return best;
}

function popInto(slice: KObject, desired: Map<string, Endpoint>, max: number): void {
  const eps = endpointsOf(slice);
  for (const [k, ep] of desired) {
    if (eps.length >= max) break;
    eps.push(ep);
    desired.delete(k);
  }
  slice.endpoints = eps;
}

function reconcilePortGroup(svc: KObject, existing: KObject[], group: Group, addressType: string, max: number): SlicePlan {
  const desired = group.desired;
  const labels = sliceLabels(svc);
  const toUpdate = new Map<string, KObject>();
  const unchanged = new Map<string, KObject>();
  const toDelete: KObject[] = [];

  // 1. Keep what is still desired in the slice it is in; drop the rest.
  for (const slice of existing) {
    const kept: Endpoint[] = [];
    let changed = false;
    for (const ep of endpointsOf(slice)) {
      const k = endpointKey(ep);
      const want = desired.get(k);
      if (!want) continue;
      kept.push(want);
      if (!semanticEqual(want, ep)) changed = true;
      desired.delete(k);
    }
    const name = slice.metadata.name as string;
    if (changed || kept.length !== endpointsOf(slice).length) {
      if (!kept.length) toDelete.push(slice);
      else {
        const next = clone(slice);
        next.endpoints = kept;
        next.metadata.labels = labels;
        toUpdate.set(name, next);
      }
    } else if (!labelsEqual(slice.metadata.labels, labels)) {
      const next = clone(slice);
      next.metadata.labels = labels;
      toUpdate.set(name, next);
    } else unchanged.set(name, slice);
  }

  // 2. Slices being written anyway take new endpoints first, fullest first.
  if (desired.size) {
    const bySize = [...toUpdate.values()].sort((a, b) => endpointsOf(b).length - endpointsOf(a).length);
    for (const s of bySize) popInto(s, desired, max);
  }

  // 3. What is left goes into the unchanged slice it fits best, or into new slices.
  const create: KObject[] = [];
  while (desired.size) {
    let target: KObject | undefined;
    if (desired.size < max && unchanged.size) {
      const found = sliceToFill([...unchanged.values()], desired.size, max);
      if (found) {
        target = clone(found);
        unchanged.delete(found.metadata.name as string);
        toUpdate.set(found.metadata.name as string, target);
      }
    }
    if (!target) {
      target = newEndpointSlice(svc, group.ports, addressType);
      create.push(target);
    }
    popInto(target, desired, max);
  }
  return { create, update: [...toUpdate.values()], delete: toDelete };
}

/** The placeholder a Service without endpoints keeps, compared as placeholderSliceCompare does. */
function isPlaceholderFor(slice: KObject, placeholder: KObject): boolean {
  return (
    slice.metadata.namespace === placeholder.metadata.namespace &&
    labelsEqual(slice.metadata.labels, placeholder.metadata.labels) &&
    slice.addressType === placeholder.addressType &&
    !endpointsOf(slice).length &&
    !portsOf(slice).length
  );
}

function reconcileAddressType(svc: KObject, pods: KObject[], existing: KObject[], addressType: string, max: number): SlicePlan {
  const plan: SlicePlan = { create: [], update: [], delete: [] };
  const byPorts = new Map<string, KObject[]>();
  for (const s of existing) {
    if (!ownedBy(s, svc)) {
      plan.delete.push(s);
      continue;
    }
    const k = portMapKey(portsOf(s));
    byPorts.set(k, [...(byPorts.get(k) ?? []), s]);
  }
  for (const [key, group] of desiredGroups(svc, pods, addressType)) {
    const p = reconcilePortGroup(svc, byPorts.get(key) ?? [], group, addressType, max);
    plan.create.push(...p.create);
    plan.update.push(...p.update);
    plan.delete.push(...p.delete);
    byPorts.delete(key);
  }
  for (const slices of byPorts.values()) plan.delete.push(...slices);

  if (existing.length === plan.delete.length && !plan.create.length) {
    const placeholder = newEndpointSlice(svc, [], addressType);
    if (plan.delete.length === 1 && ownedBy(plan.delete[0], svc) && isPlaceholderFor(plan.delete[0], placeholder)) plan.delete = [];
    else plan.create.push(placeholder);
  }
  return plan;
}

/**
 * Turns pending deletions into updates of slices that would otherwise be created, which
 * keeps names stable and saves a write (the recycling step of finalize).
 */
function recycle(svc: KObject, plan: SlicePlan): SlicePlan {
  const create = [...plan.create];
  const update = [...plan.update];
  const del: KObject[] = [];
  for (const old of plan.delete) {
    const fresh = create.length ? create[create.length - 1] : undefined;
    if (fresh && old.addressType === fresh.addressType && ownedBy(old, svc)) {
      create.pop();
      const { generateName: _g, ...meta } = fresh.metadata;
      update.push({ ...fresh, metadata: { ...old.metadata, ...meta, name: old.metadata.name } });
    } else del.push(old);
  }
  return { create, update, delete: del };
}

/**
 * The writes that make `existing` (the slices labelled with this Service's name and managed
 * by this controller) describe the Service's selected pods.
 */
export function planEndpointSlices(svc: KObject, pods: KObject[], existing: KObject[], opts: PlanOptions = {}): SlicePlan {
  const max = opts.maxEndpointsPerSlice ?? MAX_ENDPOINTS_PER_SLICE;
  const types = serviceAddressTypes(svc);
  const plan: SlicePlan = { create: [], update: [], delete: [] };
  for (const s of existing) if (!types.includes(s.addressType as string)) plan.delete.push(s);
  for (const t of types) {
    const p = reconcileAddressType(svc, pods, existing.filter((s) => s.addressType === t), t, max);
    plan.create.push(...p.create);
    plan.update.push(...p.update);
    plan.delete.push(...p.delete);
  }
  const out = recycle(svc, plan);
  // A Service on its way out gets no new slices; the garbage collector is removing them.
  if (svc.metadata.deletionTimestamp) out.create = [];
  return out;
}

export function isEmptyPlan(p: SlicePlan): boolean {
  return !p.create.length && !p.update.length && !p.delete.length;
}
