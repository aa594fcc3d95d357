import { AllocationError } from './errors.js';
import { formatIPv4, parseIPv4 } from './ipv4.js';

/**
 * LoadBalancer addresses. The cluster has no cloud: a LoadBalancer Service is given an
 * address on the host's loopback. Linux routes all of 127.0.0.0/8 to `lo`, so every address
 * here is reachable from the host with no interface to configure and nothing to clean up,
 * and each Service gets its own address, so two LoadBalancers (or one and a host program
 * on 127.0.0.1) can all listen on port 80. 127.0.0.1 itself is kept out: NodePorts and the
 * API server are there. The pool is small on purpose: it is for one machine.
 */
export const LOAD_BALANCER_POOL = { first: '127.0.10.1', last: '127.0.10.254' } as const;

/** Hands out pool addresses lowest first, as MetalLB does, so they are predictable. */
export class LoadBalancerIPAllocator {
  private first: number;
  private last: number;

  constructor(
    private isUsed: (ip: string) => boolean,
    pool: { first: string; last: string } = LOAD_BALANCER_POOL,
  ) {
    const f = parseIPv4(pool.first);
    const l = parseIPv4(pool.last);
    if (f === undefined || l === undefined || l < f) throw new Error(`load balancer pool ${pool.first}-${pool.last} is not an IPv4 range`);
    this.first = f;
    this.last = l;
  }

  contains(ip: string): boolean {
    const n = parseIPv4(ip);
    return n !== undefined && n >= this.first && n <= this.last;
  }

  allocate(ip: string): void {
    if (!this.contains(ip)) {
      throw new AllocationError('NotInRange', `the provided IP (${ip}) is not in the load balancer pool ${formatIPv4(this.first)}-${formatIPv4(this.last)}`);
    }
    if (this.isUsed(ip)) throw new AllocationError('Allocated', 'provided IP is already allocated');
  }

  allocateNext(): string {
    for (let n = this.first; n <= this.last; n++) {
      const ip = formatIPv4(n);
      if (!this.isUsed(ip)) return ip;
    }
    throw new AllocationError('Full', `load balancer pool ${formatIPv4(this.first)}-${formatIPv4(this.last)} is full`);
  }
}
