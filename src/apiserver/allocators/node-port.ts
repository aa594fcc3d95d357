import { nodePortStaticBand, pickFree } from './bands.js';
import { AllocationError } from './errors.js';
import { NODE_PORT_RANGE, nodePortRangeMessage } from '../../api/validation/service.js';

export { NODE_PORT_RANGE };

/**
 * Hands out NodePorts (one pool for every protocol, as upstream's portallocator). Stateless
 * like ClusterIPAllocator: `isUsed` answers from the stored Services.
 */
export class NodePortAllocator {
  private staticBand: number;

  constructor(
    private isUsed: (port: number) => boolean,
    readonly range: { base: number; size: number } = NODE_PORT_RANGE,
  ) {
    this.staticBand = nodePortStaticBand(range.size);
  }

  allocate(port: number): void {
    const { base, size } = this.range;
    if (!Number.isInteger(port) || port < base || port >= base + size) {
      throw new AllocationError('NotInRange', nodePortRangeMessage(this.range));
    }
    if (this.isUsed(port)) throw new AllocationError('Allocated', 'provided port is already allocated');
  }

  allocateNext(): number {
    const off = pickFree(this.range.size, this.staticBand, (o) => !this.isUsed(this.range.base + o));
    if (off === undefined) throw new AllocationError('Full', 'range is full');
    return this.range.base + off;
  }
}
