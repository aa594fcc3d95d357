import { clusterIPStaticBand, pickFree } from './bands.js';
import { AllocationError } from './errors.js';
import { SERVICE_CLUSTER_IP_RANGE } from '../../cluster/constants.js';
import { cidrRange, formatIPv4, inRange, parseIPv4, type IPv4Range } from '../../cluster/ipv4.js';

/**
 * Hands out Service ClusterIPs from one IPv4 range. It keeps no state: `isUsed` answers from
 * the stored Services, so nothing can drift from what is in storage.
 */
export class ClusterIPAllocator {
  readonly range: IPv4Range;
  private staticBand: number;

  constructor(
    private isUsed: (ip: string) => boolean,
    cidr = SERVICE_CLUSTER_IP_RANGE,
  ) {
    this.range = cidrRange(cidr);
    this.staticBand = clusterIPStaticBand(this.range.size);
  }

  /** Checks that an explicitly requested IP can be taken (ipallocator's Allocate). */
  allocate(ip: string): void {
    const n = parseIPv4(ip);
    if (n === undefined || !inRange(this.range, n)) {
      throw new AllocationError('NotInRange', `the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${this.range.cidr}`);
    }
    if (this.isUsed(formatIPv4(n))) throw new AllocationError('Allocated', 'provided IP is already allocated');
  }

  /** A free IP (ipallocator's AllocateNext). */
  allocateNext(): string {
    const off = pickFree(this.range.size, this.staticBand, (o) => !this.isUsed(formatIPv4(this.range.first + o)));
    if (off === undefined) throw new AllocationError('Full', `range is full`);
    return formatIPv4(this.range.first + off);
  }
}
