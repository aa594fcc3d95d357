import { AllocationError } from './errors.js';
import { LOAD_BALANCER_POOL } from '../../cluster/constants.js';
import { formatIPv4, parseIPv4 } from '../../cluster/ipv4.js';

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
