// What a container's securityContext asks of the runtime, computed as the kubelet and
// containerd's CRI plugin compute it: pkg/securitycontext DetermineEffectiveSecurityContext,
// kuberuntime determineEffectiveSecurityContext / verifyRunAsNonRoot / getSeccompProfile, and
// the CRI plugin's user resolution (oci.WithUser, WithAdditionalGIDs, WithSupplementalGroups)
// against the image's /etc/passwd and /etc/group. Plain functions: the only file they read is a
// Localhost seccomp profile.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KObject } from '../../api/types.js';
import { imageEtc, parseGroup, parsePasswd, type GroupEntry, type PasswdEntry } from '../../images/etc-files.js';
import { builtinRoot } from '../../images/root-mounts.js';
import { imageUser, type ImageUser } from '../../images/rootfs.js';
import { loadSeccompProfile } from './runtime/oci/host.js';
import type { SeccompProfile } from './runtime/oci/seccomp.js';
import type { ContainerSecurity, SeccompChoice } from './runtime/oci/spec.js';
import { ContainerConfigError } from './env.js';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';

/** v1.SeccompProfile. */
export interface SeccompProfileField {
  type?: string;
  localhostProfile?: string;
}

/** v1.SecurityContext (container level). */
export interface SecurityContextSpec {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  privileged?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  procMount?: string;
  seccompProfile?: SeccompProfileField;
  [k: string]: unknown;
}

/** v1.PodSecurityContext. */
export interface PodSecurityContextSpec {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  fsGroup?: number;
  fsGroupChangePolicy?: string;
  supplementalGroups?: number[];
  supplementalGroupsPolicy?: string;
  seccompProfile?: SeccompProfileField;
  sysctls?: Array<{ name: string; value: string }>;
  [k: string]: unknown;
}

export interface ContainerFields {
  name: string;
  securityContext?: SecurityContextSpec;
}

/** The image's side: who it runs as and its user database. */
export interface ImageIdentity {
  /** imageUser(key) of a built-in image; absent for other images, which run as root with no passwd entry. */
  user?: ImageUser;
  /** The image's /etc/passwd and /etc/group text, which containerd resolves a runAsUser against. */
  etc?: { passwd: string; group: string };
}

/** The identity of a built-in image (catalog key, as builtinRootKey returns it). */
export function builtinImageIdentity(key: string): ImageIdentity {
  const root = builtinRoot(key);
  const etc = imageEtc(root.base, root.etc);
  return { user: imageUser(key), etc: { passwd: etc.passwd, group: etc.group } };
}

export interface SecurityOptions {
  /** The kubelet's seccomp root (<root-dir>/seccomp): Localhost profiles are paths relative to it. */
  seccompRoot: string;
  /** kubelet --seccomp-default: RuntimeDefault when neither the pod nor the container names a profile. Default true. */
  seccompDefault?: boolean;
  /** Parses a Localhost profile file; default loadSeccompProfile. */
  loadProfile?: (path: string) => SeccompProfile;
}

/** What containerSpec (runtime/oci/spec.ts) takes for the container's process. */
export interface RuntimeSecurity {
  user: { uid: number; gid: number; additionalGids: number[] };
  security: ContainerSecurity;
}

/**
 * A failure that upstream comes from containerd while it builds the container's spec (a
 * Localhost seccomp profile it cannot load, a user name not in the image's passwd), which the
 * kubelet reports as CreateContainerError rather than CreateContainerConfigError.
 */
export class CreateContainerError extends Error {}

/** The effective securityContext fields (DetermineEffectiveSecurityContext): the container's over the pod's. */
export function effectiveSecurityContext(pod: KObject, container: ContainerFields): SecurityContextSpec {
  const podSc = podSpec(pod).securityContext ?? {};
  const sc: SecurityContextSpec = { ...(container.securityContext ?? {}) };
  for (const f of ['runAsUser', 'runAsGroup', 'runAsNonRoot', 'seccompProfile', 'seLinuxOptions', 'windowsOptions', 'appArmorProfile'] as const) {
    if (sc[f] === undefined || sc[f] === null) {
      if (podSc[f] !== undefined && podSc[f] !== null) sc[f] = podSc[f] as never;
      else delete sc[f];
    }
  }
  return sc;
}

/**
 * The user and security settings of one container (or init container) of the pod, or a
 * ContainerConfigError (CreateContainerConfigError) when runAsNonRoot cannot be met, or a
 * CreateContainerError when containerd would fail (see the class).
 */
export function containerSecurity(pod: KObject, container: ContainerFields, image: ImageIdentity, opts: SecurityOptions): RuntimeSecurity {
  const img = imageRunAs(image);
  const err = verifyRunAsNonRoot(pod, container, img.uid, img.username);
  if (err) throw new ContainerConfigError(err);
  const sc = effectiveSecurityContext(pod, container);
  const security: ContainerSecurity = {
    seccomp: seccompChoice(pod, container, opts),
  };
  const own = container.securityContext ?? {};
  if (own.privileged !== undefined && own.privileged !== null) security.privileged = own.privileged;
  if (own.capabilities) security.capabilities = { add: [...(own.capabilities.add ?? [])], drop: [...(own.capabilities.drop ?? [])] };
  if (own.allowPrivilegeEscalation !== undefined && own.allowPrivilegeEscalation !== null) security.allowPrivilegeEscalation = own.allowPrivilegeEscalation;
  if (own.readOnlyRootFilesystem !== undefined && own.readOnlyRootFilesystem !== null) security.readOnlyRootFilesystem = own.readOnlyRootFilesystem;
  if (own.procMount === 'Default' || own.procMount === 'Unmasked') security.procMount = own.procMount;
  return { user: processUser(pod, sc, image, img), security };
}

/** The image config's User as the kubelet sees it through CRI ImageStatus (getImageUser). */
function imageRunAs(image: ImageIdentity): { uid?: number; username: string } {
  const user = image.user?.user ?? '';
  if (user === '') return { uid: 0, username: '' };
  const first = user.split(':')[0];
  return /^\d+$/.test(first) ? { uid: Number(first), username: '' } : { username: first };
}

/** kuberuntime security_context_others.go verifyRunAsNonRoot; the message, or undefined when allowed. */
export function verifyRunAsNonRoot(pod: KObject, container: ContainerFields, uid: number | undefined, username: string): string | undefined {
  const sc = effectiveSecurityContext(pod, container);
  if (sc.runAsNonRoot !== true) return undefined;
  const who = `(pod: ${goQuote(formatPod(pod))}, container: ${container.name})`;
  if (sc.runAsUser !== undefined && sc.runAsUser !== null) {
    return sc.runAsUser === 0 ? `container's runAsUser breaks non-root policy ${who}` : undefined;
  }
  if (uid === undefined && username.length > 0) {
    return `container has runAsNonRoot and image has non-numeric user (${username}), cannot verify user is non-root ${who}`;
  }
  if (uid !== undefined) {
    if (uid === 0) return `container has runAsNonRoot and image will run as root ${who}`;
    if (uid < 0 || uid > MAX_INT32) {
      return `container has runAsNonRoot and image has an invalid user id (${uid}). (Must be 1-(${MAX_INT32})): must be between 0 and ${MAX_INT32}, inclusive ${who}`;
    }
  }
  return undefined;
}

const MAX_INT32 = 2147483647;

/** kubelet/util/format.Pod: name_namespace(uid); underscore because pod names cannot hold one. */
export function formatPod(pod: KObject): string {
  return `${pod.metadata.name ?? ''}_${pod.metadata.namespace ?? ''}(${pod.metadata.uid ?? ''})`;
}

function goQuote(s: string): string {
  return JSON.stringify(s);
}

/**
 * kuberuntime getSeccompProfile + fieldSeccompProfile: the container's profile, else the pod's,
 * else RuntimeDefault with --seccomp-default (Unconfined without); Localhost files are read
 * from the seccomp root as containerd's seccomp.WithProfile reads them.
 */
export function seccompChoice(pod: KObject, container: ContainerFields, opts: SecurityOptions): SeccompChoice {
  const fallback = opts.seccompDefault !== false;
  const field = container.securityContext?.seccompProfile ?? podSpec(pod).securityContext?.seccompProfile;
  if (!field) return fallback ? { type: 'RuntimeDefault' } : { type: 'Unconfined' };
  if (field.type === 'RuntimeDefault') return { type: 'RuntimeDefault' };
  if (field.type === 'Localhost') {
    if (!field.localhostProfile) throw new ContainerConfigError('localhostProfile must be set if seccompProfile type is Localhost.');
    const path = join(opts.seccompRoot, field.localhostProfile);
    return { type: 'Localhost', profile: readLocalhostProfile(path, opts.loadProfile ?? loadSeccompProfile) };
  }
  return { type: 'Unconfined' };
}

function readLocalhostProfile(path: string, load: (path: string) => SeccompProfile): SeccompProfile {
  try {
    readFileSync(path);
  } catch (e) {
    throw new CreateContainerError(`cannot load seccomp profile ${goQuote(path)}: ${goPathError((e as NodeJS.ErrnoException).code === 'EISDIR' ? 'read' : 'open', path, e)}`);
  }
  try {
    return load(path);
  } catch (e) {
    throw new CreateContainerError(`decoding seccomp profile failed ${goQuote(path)}: ${(e as Error).message}`);
  }
}

const STRERROR: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  ELOOP: 'too many levels of symbolic links',
};

/** Go's *PathError text ("open /x: no such file or directory") for a Node fs error. */
export function goPathError(op: string, path: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code ?? '';
  return `${op} ${path}: ${STRERROR[code] ?? (e as Error).message}`;
}

/** The process user as containerd builds it from what the kubelet sends (see the file comment). */
function processUser(pod: KObject, sc: SecurityContextSpec, image: ImageIdentity, img: { uid?: number; username: string }): RuntimeSecurity['user'] {
  const db = userDb(image);
  const podSc = podSpec(pod).securityContext ?? {};
  const runAsGroup = sc.runAsGroup ?? undefined;
  // The kubelet sends runAsUser, or the image's numeric uid, or its user name.
  const runAsUid = sc.runAsUser ?? img.uid;
  const username = sc.runAsUser !== undefined && sc.runAsUser !== null ? '' : img.username;

  // oci.WithUser("<uid|name>[:<gid>]"): a name must be in passwd; a lone uid takes its entry's
  // group, or 0 without one; an explicit gid wins.
  let uid: number;
  let gid: number;
  let name: string | undefined;
  if (username) {
    const entry = db.passwd.find((p) => p.name === username);
    if (!entry) throw new CreateContainerError('no users found');
    uid = entry.uid;
    gid = runAsGroup ?? entry.gid;
    name = entry.name;
  } else {
    uid = runAsUid ?? 0;
    const entry = db.passwd.find((p) => p.uid === uid);
    gid = runAsGroup ?? entry?.gid ?? 0;
    name = entry?.name;
  }

  // WithAdditionalGIDs: the groups /etc/group lists the user in (not the one named like the
  // user), unless supplementalGroupsPolicy is Strict; then the primary gid (ensureAdditionalGids)
  // and the kubelet's fsGroup and supplementalGroups (WithSupplementalGroups, sorted and unique).
  const groups: number[] = [gid];
  if (podSc.supplementalGroupsPolicy !== 'Strict' && name !== undefined) {
    groups.push(...db.groups.filter((g) => g.name !== name && g.members.includes(name!)).map((g) => g.gid));
  }
  if (podSc.fsGroup !== undefined && podSc.fsGroup !== null) groups.push(podSc.fsGroup);
  groups.push(...(podSc.supplementalGroups ?? []));
  return { uid, gid, additionalGids: [...new Set(groups)].sort((a, b) => a - b) };
}

/** passwd and group of the image; with only an ImageUser, one entry that stands for its user. */
function userDb(image: ImageIdentity): { passwd: PasswdEntry[]; groups: GroupEntry[] } {
  if (image.etc) return { passwd: parsePasswd(image.etc.passwd), groups: parseGroup(image.etc.group) };
  const u = image.user;
  if (!u || u.user === '') return { passwd: [], groups: [] };
  const first = u.user.split(':')[0];
  const name = /^\d+$/.test(first) ? '\0image-user' : first;
  return {
    passwd: [{ name, uid: u.uid, gid: u.gid, gecos: '', home: u.home, shell: '' }],
    groups: u.additionalGids.filter((g) => g !== u.gid).map((gid) => ({ name: `\0group-${gid}`, gid, members: [name] })),
  };
}

/**
 * volume/util FsUserFrom: the uid every container and init container runs as when they all set
 * the same runAsUser (pod or container level); undefined otherwise. Projected volumes give
 * their serviceAccountToken files to this user.
 */
export function fsUserFrom(pod: KObject): number | undefined {
  const s = podSpec(pod);
  let fsUser: number | undefined;
  for (const c of [...(s.initContainers ?? []), ...(s.containers ?? [])]) {
    const uid = c.securityContext?.runAsUser ?? s.securityContext?.runAsUser;
    if (uid === undefined || uid === null || (fsUser !== undefined && fsUser !== uid)) return undefined;
    fsUser = uid;
  }
  return fsUser;
}

/** The pod's fsGroup, when set. */
export function podFsGroup(pod: KObject): number | undefined {
  const g = podSpec(pod).securityContext?.fsGroup;
  return typeof g === 'number' ? g : undefined;
}

function podSpec(pod: KObject): Partial<IPodSpec> {
  return (pod.spec ?? {}) as IPodSpec;
}
