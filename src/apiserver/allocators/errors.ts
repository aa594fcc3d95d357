/**
 * An allocator refused a request. `message` is upstream's allocator error text; the caller
 * wraps it in the field error of the field that asked for the value.
 */
export class AllocationError extends Error {
  constructor(
    readonly reason: 'Allocated' | 'NotInRange' | 'Full',
    message: string,
  ) {
    super(message);
  }
}
