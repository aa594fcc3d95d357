// What an image contributes to a container: its OCI config (ENTRYPOINT, CMD, ENV, WORKDIR)
// in the image's own terms, plus how the image's own executables map onto this host.

/** The variable naming the file a notifying image's program writes READY=1 to (src/addons/ready.ts). */
export const READY_FILE_ENV = 'SKIFF_READY_FILE';

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
  /**
   * The image's program says when it serves (src/addons/ready.ts), and the runtime reports the
   * container started only then, as with a systemd Type=notify service.
   */
  notifyReady?: boolean;
  /**
   * The root its containers get (rootfs.ts): a built-in image's catalog key (catalog.ts
   * names[0]), or HOST_PROGRAM_ROOT with the host paths a user-mapped image consists of.
   */
  root?: { key: string; hostPaths?: string[] };
  /** An image from the store (pulled or loaded): the overlay lower dirs of its layers and its User. */
  stored?: { reference: string; id: string; digest: string; lowerDirs: string; user: string; size: number };
}

/**
 * `message` is what the container's waiting state shows (and the kubelet's event repeats):
 * containerd's pull error for ErrImagePull, the kubelet's parse error for InvalidImageName.
 */
export type Resolved =
  | { ok: true; image: ImageConfig }
  | { ok: false; reason: 'ErrImagePull' | 'InvalidImageName' | 'ErrImageNeverPull'; message: string };
