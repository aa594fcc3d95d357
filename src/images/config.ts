// What an image contributes to a container: its OCI config (ENTRYPOINT, CMD, ENV, WORKDIR)
// in the image's own terms, plus how the image's own executables map onto this host.

export interface ImageConfig {
  /** ENTRYPOINT as the image declares it (container paths, e.g. `/agnhost`). */
  entrypoint: string[];
  /** CMD as the image declares it. */
  cmd: string[];
  env?: Record<string, string>;
  workingDir?: string;
  /**
   * Executables that exist in the image but not on the host, by the path or name the image
   * knows them by (`/agnhost`, `nginx`): the host argv that stands for each.
   */
  binaries?: Record<string, string[]>;
  /** The image's userland is busybox (busybox, Alpine): `/bin/x`, `/usr/bin/x`, … are applets. */
  busybox?: boolean;
}

/**
 * `message` is what the container's waiting state shows (and the kubelet's event repeats):
 * containerd's pull error for ErrImagePull, the kubelet's parse error for InvalidImageName.
 */
export type Resolved =
  | { ok: true; image: ImageConfig }
  | { ok: false; reason: 'ErrImagePull' | 'InvalidImageName'; message: string };
