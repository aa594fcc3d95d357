// The image service of this node: turns a pod's `image` into a root for its containers (there is
// no registry: built-in images get roots assembled for them, rootfs.ts) and a container's
// command/args into the argv the runtime starts in that root.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BUILTIN_IMAGES } from './catalog.js';
import { keepHostProgramAnswers } from './host-programs.js';
import { assembleRoot, imageMounts, imageUser, type ImageMount, type ImageUser, type RootOptions } from './rootfs.js';
import { builtinRoot, hostProgramsDir, toContainerArgv } from './root-mounts.js';
import { imageEtc } from './etc-files.js';
import type { ImageConfig, Resolved } from './config.js';
import { IMAGE_MAP_FILE, findUserImage } from './user-images.js';
import { storedRoot } from './stored-image.js';
import { ReferenceError, fullReference, lookupKeys, parseReference, type ImageReference } from './reference.js';

export type { ImageConfig, Resolved } from './config.js';

const builtinByName = new Map<string, (typeof BUILTIN_IMAGES)[number]>();
for (const img of BUILTIN_IMAGES) for (const name of img.names) builtinByName.set(name, img);

/** The kubelet's applyDefaultImageTag failure, word for word, for an unparsable reference. */
export function invalidImageName(image: string, err: ReferenceError): Resolved {
  return {
    ok: false,
    reason: 'InvalidImageName',
    message: `Failed to apply default image tag ${JSON.stringify(image)}: couldn't parse image name ${JSON.stringify(image)}: ${err.message}`,
  };
}

/** The image as the user's images.yaml maps it to host programs, if it does. */
export function userImage(ref: ImageReference, opts: { home: string; clusterDir: string }): Resolved | undefined {
  const user = findUserImage(lookupKeys(ref), opts);
  if (!user) return undefined;
  if (user.ok) return { ok: true, image: user.image };
  return { ok: false, reason: 'ErrImagePull', message: pullError(ref, user.message) };
}

/**
 * The built-in image standing for `ref`, if the catalog has one; `program` when it is one of
 * skiff's own add-ons (cluster DNS, ingress controller), which no registry image replaces.
 */
export function builtinImage(ref: ImageReference, opts: { home: string; clusterDir: string }): { image: ImageConfig; program: boolean } | undefined {
  for (const key of lookupKeys(ref)) {
    const builtin = builtinByName.get(key);
    if (builtin) return { image: { ...builtin.config(ref, opts), root: { key: builtin.names[0] } }, program: builtin.program === true };
  }
  return undefined;
}

/** The catalog and images.yaml only (`--images=builtin`): what every cluster ran before registries. */
export function resolveImage(image: string, opts: { home: string; clusterDir: string }): Resolved {
  let ref: ImageReference;
  try {
    ref = parseReference(image);
  } catch (err) {
    if (!(err instanceof ReferenceError)) throw err;
    return invalidImageName(image, err);
  }
  const user = userImage(ref, opts);
  if (user) return user;
  const builtin = builtinImage(ref, opts);
  if (builtin) return { ok: true, image: builtin.image };
  const full = fullReference(ref);
  const mapFile = join(opts.home, IMAGE_MAP_FILE);
  const example = `${ref.domain === 'docker.io' ? ref.path.replace(/^library\//, '') : `${ref.domain}/${ref.path}`}: { command: ["/path/to/program", "--flag"] }`;
  return {
    ok: false,
    reason: 'ErrImagePull',
    message: pullError(
      ref,
      `${full}: not found: this cluster uses only built-in images (--images=builtin) and "${ref.domain}/${ref.path}" is not one; ` +
        `map it to a host program in ${mapFile} (or ${join(opts.clusterDir, IMAGE_MAP_FILE)}), e.g. ${example}`,
    ),
  };
}

/** containerd's wording for a failed pull, as the kubelet passes it on. */
function pullError(ref: ImageReference, cause: string): string {
  const full = fullReference(ref);
  return `rpc error: code = NotFound desc = failed to pull and unpack image "${full}": failed to resolve reference "${full}": ${cause}`;
}

/**
 * Kubernetes command/args over the image's entrypoint/cmd (after $(VAR) expansion by the
 * caller), as containerd composes them: a command replaces ENTRYPOINT and drops CMD unless args
 * are given; args alone replace CMD. The image's own programs (`/agnhost`, `nginx`) become the
 * argv that plays them, in the container's paths; any other program is found by the runtime in
 * the container's root, on its PATH. An empty result means "no command specified".
 */
export function containerArgv(image: ImageConfig, command?: string[], args?: string[]): string[] {
  let argv: string[];
  if (command && command.length > 0) {
    argv = [...command, ...(args ?? [])];
  } else {
    argv = [...image.entrypoint, ...(args && args.length > 0 ? args : image.cmd)];
  }
  if (argv.length === 0) return [];
  const [program, ...rest] = argv;
  const own = image.binaries?.[program];
  if (!own) return argv;
  return [...toContainerArgv(own, imageMountsOf(image)), ...rest];
}

export interface ContainerImage {
  /** The read-only lower layers of the container's overlay (topmost first, `:`-separated): the assembled root, or a stored image's layers. */
  rootfs: string;
  /** Host files bound read-only over it. */
  mounts: ImageMount[];
  /** The user its config names, resolved against its /etc/passwd and /etc/group. */
  user: ImageUser;
  /** Its /etc/passwd and /etc/group, which a runAsUser is resolved against. */
  etc: { passwd: string; group: string };
}

function rootOf(image: ImageConfig): { key: string; opts: RootOptions } {
  const root = image.root;
  if (!root) throw new Error('the image names no root (resolveImage sets one)');
  // The bundled programs compare their build-time path with argv[1]: they appear at it.
  const opts: RootOptions = { programsAt: hostProgramsDir() };
  if (root.hostPaths) opts.hostPaths = root.hostPaths.filter((p) => existsSync(p));
  return { key: root.key, opts };
}

const mountsCache = new Map<string, ImageMount[]>();

function imageMountsOf(image: ImageConfig): ImageMount[] {
  const { key, opts } = rootOf(image);
  const id = JSON.stringify([key, opts]);
  let mounts = mountsCache.get(id);
  if (!mounts) {
    mounts = imageMounts(key, opts);
    mountsCache.set(id, mounts);
  }
  return mounts;
}

const rootCache = new Map<string, string>();

/** The image's root under `rootsDir` (assembled on first use) and what goes with it. */
export function containerImage(image: ImageConfig, rootsDir: string): ContainerImage {
  if (image.stored) return { ...storedRoot(image.stored), mounts: [] };
  const { key, opts } = rootOf(image);
  const id = JSON.stringify([rootsDir, key, opts]);
  let rootfs = rootCache.get(id);
  if (!rootfs || !existsSync(rootfs)) {
    rootfs = assembleRoot(key, rootsDir, opts);
    rootCache.set(id, rootfs);
  }
  const root = builtinRoot(key);
  const etc = imageEtc(root.base, root.etc);
  return { rootfs, mounts: imageMountsOf(image), user: imageUser(key), etc: { passwd: etc.passwd, group: etc.group } };
}

export { keepHostProgramAnswers };

/** Assembles the roots of the given images ahead of their first containers. */
export function prepareImageRoots(images: string[], opts: { home: string; clusterDir: string }): void {
  keepHostProgramAnswers(opts.home);
  for (const image of images) {
    const r = resolveImage(image, opts);
    if (r.ok) containerImage(r.image, imageRootsDir(opts.clusterDir));
  }
}

/** Where a cluster keeps its assembled image roots. */
export function imageRootsDir(clusterDir: string): string {
  return join(clusterDir, 'images', 'roots');
}
