// The error of a pull, in its own module: the kubelet's side (image manager, the agent's pull
// process launcher) reports it without loading the registry client and its HTTP library.

/** A failed pull as CRI reports it: a gRPC code and containerd's message. */
export class PullError extends Error {
  constructor(
    readonly code: 'NotFound' | 'Unknown' | 'DeadlineExceeded',
    message: string,
    /** The registry could not be reached at all (no answer, not an error answer). */
    readonly unreachable = false,
  ) {
    super(message);
  }

  /** The message as the kubelet shows it in ErrImagePull. */
  get grpc(): string {
    return `rpc error: code = ${this.code} desc = ${this.message}`;
  }
}
