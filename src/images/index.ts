// The image service of this node: turns a pod's `image` into something runnable on the host
// (there is no registry), and a container's command/args into a host argv.
import { join } from 'node:path';
import { appletArgv, appletFor, containerPath as makeContainerPath, hostExecutable } from './busybox.js';
import { BUILTIN_IMAGES } from './catalog.js';
import type { ImageConfig, Resolved } from './config.js';
import { IMAGE_MAP_FILE, findUserImage } from './user-images.js';
import { ReferenceError, fullReference, lookupKeys, parseReference, type ImageReference } from './reference.js';

export type { ImageConfig, Resolved } from './config.js';

const builtinByName = new Map<string, (typeof BUILTIN_IMAGES)[number]>();
for (const img of BUILTIN_IMAGES) for (const name of img.names) builtinByName.set(name, img);

export function resolveImage(image: string, opts: { home: string; clusterDir: string }): Resolved {
  let ref: ImageReference;
  try {
    ref = parseReference(image);
  } catch (err) {
    if (!(err instanceof ReferenceError)) throw err;
    // The kubelet's applyDefaultImageTag failure, word for word.
    return {
      ok: false,
      reason: 'InvalidImageName',
      message: `Failed to apply default image tag ${JSON.stringify(image)}: couldn't parse image name ${JSON.stringify(image)}: ${err.message}`,
    };
  }
  const keys = lookupKeys(ref);
  const user = findUserImage(keys, opts);
  if (user) {
    if (user.ok) return { ok: true, image: user.image };
    return { ok: false, reason: 'ErrImagePull', message: pullError(ref, `${user.message}`) };
  }
  for (const key of keys) {
    const builtin = builtinByName.get(key);
    if (builtin) return { ok: true, image: builtin.config(ref, opts) };
  }
  const full = fullReference(ref);
  const mapFile = join(opts.home, IMAGE_MAP_FILE);
  const example = `${ref.domain === 'docker.io' ? ref.path.replace(/^library\//, '') : `${ref.domain}/${ref.path}`}: { command: ["/path/to/program", "--flag"] }`;
  return {
    ok: false,
    reason: 'ErrImagePull',
    message: pullError(
      ref,
      `${full}: not found: this cluster has no registry and "${ref.domain}/${ref.path}" is not a built-in image; ` +
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
 * are given; args alone replace CMD. argv[0] comes back as a host executable where the image's
 * program is known: one of the image's own programs, a busybox applet, or a file on the host's
 * /usr/local/bin, /usr/bin, /bin. An empty result means "no command specified".
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
  if (own) return [...own, ...rest];
  // A bare name is looked up on the container's PATH: the applet directory comes first there.
  const bare = !program.includes('/');
  if (bare || image.busybox) {
    const applet = appletFor(program);
    if (applet) return appletArgv(applet, rest);
  }
  if (bare) {
    const file = hostExecutable(program);
    if (file) return [file, ...rest];
  }
  return argv;
}

/** PATH for containers: a dir of busybox applet links (created on demand under clusterDir) + /usr/local/bin:/usr/bin:/bin. */
export function containerPath(clusterDir: string): string {
  return makeContainerPath(clusterDir);
}
