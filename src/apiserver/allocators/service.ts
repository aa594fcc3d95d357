import type { FieldError, KObject } from '../../api/types.js';
import { child, GoValue, goStringSlice, index, invalid } from '../../api/validation/field.js';
import type { Store } from '../../storage/store.js';
import { errors } from '../../api/errors.js';
import { ClusterIPAllocator } from './cluster-ip.js';
import { AllocationError } from './errors.js';
import { clusterIPKey, HoldingsIndex, loadBalancerKey, nodePortKey } from './holdings.js';
import { hostListeningAddresses } from './host-listeners.js';
import { parseIPv4, formatIPv4 } from '../../cluster/ipv4.js';
import { LoadBalancerIPAllocator } from './load-balancer-ip.js';
import { NodePortAllocator } from './node-port.js';

// What upstream's Service REST storage (pkg/registry/core/service/storage: alloc.go and the
// begin-create/update hooks) does around a write: ClusterIPs and NodePorts are allocated after
// validation and before the object is stored. What plays the cloud's part here, the
// LoadBalancer address, is written into status in the same step.

interface Port {
  name?: string;
  port?: number;
  protocol?: string;
  nodePort?: number;
}
interface Spec {
  type?: string;
  clusterIP?: string;
  clusterIPs?: string[];
  ipFamilies?: string[];
  ipFamilyPolicy?: string;
  selector?: Record<string, string>;
  ports?: Port[];
  healthCheckNodePort?: number;
  allocateLoadBalancerNodePorts?: boolean;
  externalTrafficPolicy?: string;
  loadBalancerClass?: string;
  loadBalancerIP?: string;
}
interface Ingress {
  ip?: string;
  hostname?: string;
  ipMode?: string;
}
interface Status {
  loadBalancer?: { ingress?: Ingress[] };
  [k: string]: unknown;
}

const specOf = (svc: KObject): Spec => (svc.spec ??= {}) as Spec;
const ownerOf = (svc: KObject): string => `${svc.metadata.namespace ?? ''}/${svc.metadata.name ?? ''}`;
const needsClusterIP = (s: Spec) => s.type !== 'ExternalName';
const needsNodePorts = (s: Spec) => s.type === 'NodePort' || s.type === 'LoadBalancer';
const shouldAllocateNodePorts = (s: Spec) => s.type === 'NodePort' || (s.type === 'LoadBalancer' && s.allocateLoadBalancerNodePorts !== false);
const needsHealthCheck = (s: Spec) => s.type === 'LoadBalancer' && s.externalTrafficPolicy === 'Local';
const isHeadless = (s: Spec) => (s.clusterIPs?.[0] ?? s.clusterIP) === 'None';
const hasSelector = (s: Spec) => !!s.selector && Object.keys(s.selector).length > 0;
/** A LoadBalancer the built-in pool serves: a loadBalancerClass hands it to another controller. */
const servedByPool = (s: Spec) => s.type === 'LoadBalancer' && !s.loadBalancerClass;

/**
 * The values one write takes. A free value must be free in storage and not already taken
 * earlier in the same write; values this Service held before may be asked for again.
 */
class Operation {
  private taken = new Set<string>();
  constructor(
    private idx: HoldingsIndex,
    private owner: string,
  ) {}
  /** For an explicit request: taken by another Service, or earlier in this write. */
  usedForRequest = (key: string) => this.taken.has(key) || this.idx.usedByOther(key, this.owner);
  /** For picking a free value: not even this Service's own old values. */
  usedForNext = (key: string) => this.taken.has(key) || this.idx.usedByOther(key);
  take(key: string): void {
    this.taken.add(key);
  }
}

export class ServiceAllocators {
  constructor(private idx: HoldingsIndex) {}

  static follow(store: Store): ServiceAllocators {
    return new ServiceAllocators(HoldingsIndex.follow(store));
  }

  /**
   * Fills clusterIP(s), nodePorts, healthCheckNodePort and the LoadBalancer address of a
   * validated new Service. Returns field errors for a refused request (422) and throws an
   * internal error when a range is exhausted. Nothing is reserved until the object is stored.
   */
  allocateCreate(svc: KObject): FieldError[] {
    const spec = specOf(svc);
    const op = new Operation(this.idx, ownerOf(svc));
    const errs = familyErrors(spec);
    if (errs.length) return errs;
    const ipErrs = this.allocClusterIPs(spec, op);
    if (ipErrs.length) return ipErrs;
    if (needsNodePorts(spec)) {
      const portErrs = this.initNodePorts(spec, op);
      if (portErrs.length) return portErrs;
    }
    if (needsHealthCheck(spec)) this.allocHealthCheckNodePort(spec, op);
    const status = ((svc.status as Status | undefined) ?? {}) as Status;
    svc.status = { ...status, loadBalancer: status.loadBalancer ?? {} };
    this.assignLoadBalancer(svc, op);
    return [];
  }

  /**
   * Before validating an update: values the client left out are carried over from the stored
   * Service, and clusterIP/clusterIPs are brought in line (upstream's patchAllocatedValues and
   * normalizeClusterIPs). This is why a PUT or an apply patch without nodePort keeps it.
   */
  prepareUpdate(svc: KObject, old: KObject): void {
    const spec = specOf(svc);
    const o = (old.spec ?? {}) as Spec;
    if (needsClusterIP(o) && needsClusterIP(spec)) {
      if (!spec.clusterIP) spec.clusterIP = o.clusterIP;
      if (!(spec.clusterIPs ?? []).length && (o.clusterIPs ?? []).length) spec.clusterIPs = [...o.clusterIPs!];
    }
    if (needsNodePorts(o) && needsNodePorts(spec)) {
      const used = (s: Spec) => new Set((s.ports ?? []).map((p) => p.nodePort ?? 0).filter((n) => n > 0));
      const newUsed = used(spec);
      const both = new Set([...used(o)].filter((n) => newUsed.has(n)));
      const byName = new Map((o.ports ?? []).map((p) => [p.name ?? '', p.nodePort ?? 0]));
      for (const p of spec.ports ?? []) {
        if (p.nodePort) continue;
        const prev = byName.get(p.name ?? '') ?? 0;
        if (prev && !both.has(prev)) p.nodePort = prev;
      }
    }
    if (needsHealthCheck(o) && needsHealthCheck(spec) && !spec.healthCheckNodePort) spec.healthCheckNodePort = o.healthCheckNodePort;
    normalizeClusterIPs(spec, o);
  }

  /**
   * After validating an update: values the new type needs and the old did not have. What the
   * new object no longer carries is released by storing it (the index follows storage).
   */
  allocateUpdate(svc: KObject, old: KObject): FieldError[] {
    const spec = specOf(svc);
    const o = (old.spec ?? {}) as Spec;
    const op = new Operation(this.idx, ownerOf(svc));
    const errs = familyErrors(spec);
    if (errs.length) return errs;
    if (o.type === 'ExternalName' && spec.type !== 'ExternalName') {
      const ipErrs = this.allocClusterIPs(spec, op);
      if (ipErrs.length) return ipErrs;
    }
    if (needsNodePorts(spec)) {
      const portErrs = this.updateNodePorts(spec, o, op);
      if (portErrs.length) return portErrs;
    }
    if (needsHealthCheck(spec) && (!needsHealthCheck(o) || spec.healthCheckNodePort !== o.healthCheckNodePort)) {
      this.allocHealthCheckNodePort(spec, op);
    }
    this.assignLoadBalancer(svc, op);
    return [];
  }

  /**
   * A status write that drops the pool address (the host-port publisher does when the address
   * turns out to be held on the host, by another cluster that took it at the same moment) gets
   * the next free one, as a cloud's controller provisions a LoadBalancer again.
   */
  allocateStatus(svc: KObject): void {
    this.assignLoadBalancer(svc, new Operation(this.idx, ownerOf(svc)));
  }

  private allocClusterIPs(spec: Spec, op: Operation): FieldError[] {
    if (!needsClusterIP(spec) || isHeadless(spec)) return [];
    const alloc = new ClusterIPAllocator((ip) => op.usedForRequest(clusterIPKey(ip)));
    const requested = spec.clusterIPs?.[0] || spec.clusterIP || '';
    let ip: string;
    if (requested) {
      try {
        alloc.allocate(requested);
      } catch (e) {
        if (!(e instanceof AllocationError)) throw e;
        const shown = spec.clusterIPs?.length ? spec.clusterIPs : [requested];
        return [invalid(child('spec', 'clusterIPs'), new GoValue(goStringSlice(shown)), `failed to allocate IP ${requested}: ${e.message}`)];
      }
      ip = formatIPv4(parseIPv4(requested)!);
    } else {
      const next = new ClusterIPAllocator((x) => op.usedForNext(clusterIPKey(x)));
      try {
        ip = next.allocateNext();
      } catch (e) {
        throw errors.internal(`failed to allocate a serviceIP: ${(e as Error).message}`);
      }
    }
    op.take(clusterIPKey(ip));
    spec.clusterIP = ip;
    spec.clusterIPs = [ip];
    return [];
  }

  /** upstream's initNodePorts: entries with the same port number (TCP and UDP) share one nodePort. */
  private initNodePorts(spec: Spec, op: Operation): FieldError[] {
    const ports = spec.ports ?? [];
    const byPort = new Map<number, number>();
    for (let i = 0; i < ports.length; i++) {
      const p = ports[i];
      if (!p.nodePort && !shouldAllocateNodePorts(spec)) continue;
      const shared = byPort.get(p.port ?? 0);
      if (shared === undefined) {
        const requested = ports.find((q) => q.port === p.port && q.nodePort)?.nodePort ?? 0;
        const got = requested ? this.requestNodePort(requested, i, op) : this.nextNodePort(op);
        if (typeof got !== 'number') return [got];
        p.nodePort = got;
        byPort.set(p.port ?? 0, got);
      } else if (p.nodePort !== shared) {
        if (!p.nodePort) p.nodePort = shared;
        else {
          const got = this.requestNodePort(p.nodePort, i, op);
          if (typeof got !== 'number') return [got];
        }
      }
    }
    return [];
  }

  /** upstream's updateNodePorts: keep what the old Service held, allocate the rest. */
  private updateNodePorts(spec: Spec, o: Spec, op: Operation): FieldError[] {
    const oldPorts = new Set(needsNodePorts(o) ? (o.ports ?? []).map((p) => p.nodePort ?? 0).filter((n) => n > 0) : []);
    const ports = spec.ports ?? [];
    const requested = new Set<number>();
    for (let i = 0; i < ports.length; i++) {
      const p = ports[i];
      if (!p.nodePort && !shouldAllocateNodePorts(spec)) continue;
      if (p.nodePort) {
        // Kept from before, or named twice here (a TCP and a UDP entry may share one).
        if (oldPorts.has(p.nodePort) || requested.has(p.nodePort)) {
          op.take(nodePortKey(p.nodePort));
          continue;
        }
        const got = this.requestNodePort(p.nodePort, i, op);
        if (typeof got !== 'number') return [got];
        requested.add(got);
      } else {
        p.nodePort = this.nextNodePort(op);
      }
    }
    return [];
  }

  private requestNodePort(port: number, i: number, op: Operation): number | FieldError {
    try {
      new NodePortAllocator((n) => op.usedForRequest(nodePortKey(n))).allocate(port);
    } catch (e) {
      if (!(e instanceof AllocationError)) throw e;
      return invalid(child(index(child('spec', 'ports'), i), 'nodePort'), port, e.message);
    }
    op.take(nodePortKey(port));
    return port;
  }

  private nextNodePort(op: Operation): number {
    try {
      const n = new NodePortAllocator((x) => op.usedForNext(nodePortKey(x))).allocateNext();
      op.take(nodePortKey(n));
      return n;
    } catch (e) {
      throw errors.internal(`failed to allocate a nodePort: ${(e as Error).message}`);
    }
  }

  private allocHealthCheckNodePort(spec: Spec, op: Operation): void {
    const requested = spec.healthCheckNodePort ?? 0;
    if (!requested) {
      spec.healthCheckNodePort = this.nextNodePort(op);
      return;
    }
    try {
      new NodePortAllocator((n) => op.usedForRequest(nodePortKey(n))).allocate(requested);
      op.take(nodePortKey(requested));
    } catch (e) {
      throw errors.internal(`failed to allocate requested HealthCheck NodePort ${requested}: ${(e as Error).message}`);
    }
  }

  /**
   * The part a cloud's service controller plays: a LoadBalancer Service without an address
   * gets the lowest free one of the loopback pool (or its spec.loadBalancerIP, if that is a
   * free pool address); a Service that stops being one gives its pool address back. A pool
   * that is full, or a loadBalancerIP outside it, leaves the Service <pending>, as a cloud
   * without capacity does; neither is a reason to refuse the write.
   */
  private assignLoadBalancer(svc: KObject, op: Operation): void {
    const spec = specOf(svc);
    const status = ((svc.status as Status | undefined) ?? {}) as Status;
    const ingress = status.loadBalancer?.ingress ?? [];
    const pool = new LoadBalancerIPAllocator((ip) => op.usedForRequest(loadBalancerKey(ip)));
    if (!servedByPool(spec)) {
      const kept = ingress.filter((i) => !(i.ip && pool.contains(i.ip)));
      if (kept.length === ingress.length) return;
      const lb = { ...status.loadBalancer };
      if (kept.length) lb.ingress = kept;
      else delete lb.ingress;
      svc.status = { ...status, loadBalancer: lb };
      return;
    }
    if (ingress.length > 0) return;
    let ip: string | undefined;
    try {
      if (spec.loadBalancerIP) {
        pool.allocate(spec.loadBalancerIP);
        ip = spec.loadBalancerIP;
      } else {
        const heldOnHost = hostListeningAddresses();
        ip = new LoadBalancerIPAllocator((x) => op.usedForNext(loadBalancerKey(x)) || heldOnHost.has(x)).allocateNext();
      }
    } catch (e) {
      if (!(e instanceof AllocationError)) throw e;
      return;
    }
    op.take(loadBalancerKey(ip));
    svc.status = { ...status, loadBalancer: { ...status.loadBalancer, ingress: [{ ip, ipMode: 'VIP' }] } };
  }
}

/**
 * The IP-family checks of upstream's initIPFamilyFields for a single-stack IPv4 cluster
 * (syntax and consistency are checked by validation before this).
 */
export function familyErrors(spec: Spec): FieldError[] {
  if (!needsClusterIP(spec)) return [];
  const errs: FieldError[] = [];
  const ips = spec.clusterIPs ?? [];
  const families = spec.ipFamilies ?? [];
  for (let i = 0; i < ips.length; i++) {
    if (ips[i] === 'None') break;
    if (i >= families.length && parseIPv4(ips[i]) === undefined) {
      errs.push(invalid(index(child('spec', 'clusterIPs'), i), new GoValue(goStringSlice(ips)), 'IPv6 is not configured on this cluster'));
    }
  }
  if (errs.length) return errs;
  // Headless without a selector may name both families even on a single-stack cluster.
  if (isHeadless(spec) && !hasSelector(spec)) return [];
  if (spec.ipFamilyPolicy === 'RequireDualStack') {
    errs.push(invalid(child('spec', 'ipFamilyPolicy'), spec.ipFamilyPolicy, 'this cluster is not configured for dual-stack services'));
  }
  families.forEach((f, i) => {
    if (f !== 'IPv4') errs.push(invalid(index(child('spec', 'ipFamilies'), i), f, 'not configured on this cluster'));
  });
  return errs;
}

/** upstream's normalizeClusterIPs for an update: guess what a client meant by changing one of the pair. */
function normalizeClusterIPs(spec: Spec, o: Spec): void {
  const same = (a?: string[], b?: string[]) => (a ?? []).length === (b ?? []).length && (a ?? []).every((x, i) => x === b![i]);
  if ((o.clusterIPs ?? []).length > 0 && (spec.clusterIPs ?? []).length === 0 && o.clusterIP === spec.clusterIP) spec.clusterIPs = [...o.clusterIPs!];
  if ((o.clusterIP ?? '') === (spec.clusterIP ?? '')) return;
  if (o.clusterIP && !spec.clusterIP) {
    if (same(o.clusterIPs, spec.clusterIPs)) delete spec.clusterIPs;
  } else if (same(o.clusterIPs, spec.clusterIPs)) {
    spec.clusterIPs = [spec.clusterIP!];
  }
}
