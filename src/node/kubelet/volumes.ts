import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import { mkdirSync, writeFileSync, symlinkSync, renameSync, readlinkSync, rmSync, readdirSync, chmodSync, chownSync, lstatSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { KObject } from '../../api/types.js';
import type { Mount } from './cri.js';
import type { ObjectSource } from './env.js';
import { fieldPathValue, resourceFieldValue, type NodeAllocatable } from './fieldpath.js';
import { setUpHostPath } from './host-path.js';
import { fsUserFrom, podFsGroup } from './security-context.js';
import { setUpEmptyDir, setVolumeOwnership } from './volume-ownership.js';

// Pod volumes on the node: emptyDir as a directory, configMap / secret / downwardAPI /
// projected as files written the way upstream's AtomicWriter does (a timestamped data dir,
// `..data` pointing at it, and user-visible names linking through `..data`), so that an
// update swaps every file at once for readers inside the container.

export interface VolumeFile {
  path: string;
  content: Buffer;
  mode: number;
  /** The file's owner when not root (FileProjection.FsUser: serviceAccountToken files of a pod that runs as one uid). */
  uid?: number;
}

/** A failure that blocks the pod (event FailedMount). */
export class VolumeError extends Error {
  constructor(readonly volume: string, message: string) {
    super(message);
  }
}

interface KeyToPath {
  key: string;
  path: string;
  mode?: number;
}
interface Volume {
  name: string;
  emptyDir?: { medium?: string; sizeLimit?: string };
  hostPath?: { path?: string; type?: string };
  configMap?: { name?: string; items?: KeyToPath[]; defaultMode?: number; optional?: boolean };
  secret?: { secretName?: string; items?: KeyToPath[]; defaultMode?: number; optional?: boolean };
  downwardAPI?: { items?: DownwardItem[]; defaultMode?: number };
  projected?: { sources?: ProjectedSource[]; defaultMode?: number };
  [k: string]: unknown;
}
interface DownwardItem {
  path: string;
  fieldRef?: { fieldPath: string };
  resourceFieldRef?: { containerName?: string; resource: string; divisor?: string };
  mode?: number;
}
interface ProjectedSource {
  configMap?: { name?: string; items?: KeyToPath[]; optional?: boolean };
  secret?: { name?: string; items?: KeyToPath[]; optional?: boolean };
  downwardAPI?: { items?: DownwardItem[] };
  serviceAccountToken?: { audience?: string; expirationSeconds?: number; path: string };
}

const DEFAULT_MODE = 0o644;

function keyFiles(
  what: string,
  data: Record<string, Buffer>,
  items: KeyToPath[] | undefined,
  mode: number,
  volume: string,
  optional: boolean,
): VolumeFile[] {
  if (!items?.length) return Object.keys(data).map((k) => ({ path: k, content: data[k], mode }));
  const out: VolumeFile[] = [];
  for (const it of items) {
    if (!(it.key in data)) {
      if (optional) continue;
      throw new VolumeError(volume, `configuration error: ${what} has no key "${it.key}"`);
    }
    out.push({ path: it.path, content: data[it.key], mode: it.mode ?? mode });
  }
  return out;
}

function cmData(cm: KObject): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries((cm.data as Record<string, string>) ?? {})) out[k] = Buffer.from(v, 'utf8');
  for (const [k, v] of Object.entries((cm.binaryData as Record<string, string>) ?? {})) out[k] = Buffer.from(v, 'base64');
  return out;
}
function secretData(s: KObject): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries((s.data as Record<string, string>) ?? {})) out[k] = Buffer.from(v, 'base64');
  return out;
}

function downwardFiles(pod: KObject, items: DownwardItem[], mode: number, volume: string, alloc: NodeAllocatable): VolumeFile[] {
  const spec = (pod.spec ?? {}) as Partial<IPodSpec>;
  return items.map((it) => {
    let v: string | Error;
    if (it.fieldRef) v = fieldPathValue(pod, it.fieldRef.fieldPath);
    else if (it.resourceFieldRef)
      v = resourceFieldValue(spec.containers?.find((c) => c.name === it.resourceFieldRef!.containerName), it.resourceFieldRef, alloc);
    else v = '';
    if (v instanceof Error) throw new VolumeError(volume, v.message);
    return { path: it.path, content: Buffer.from(v), mode: it.mode ?? mode };
  });
}

/**
 * A projected serviceAccountToken (projected.go collectData): a token bound to this pod from the
 * TokenRequest API, through the kubelet's token cache, which hands out a new one as the old one
 * nears its end (the volume is set up again periodically). A pod whose containers all run as one
 * uid gets the file as that owner with mode 0600, as does a pod with an fsGroup (whose ownership
 * step then adds group read); otherwise the volume's mode (0644 by default) lets any uid read it.
 */
async function serviceAccountTokenFile(
  pod: KObject,
  tp: { audience?: string; expirationSeconds?: number; path: string },
  defaultMode: number,
  volume: string,
  source: ObjectSource,
): Promise<VolumeFile> {
  if (!source.serviceAccountToken) throw new VolumeError(volume, `cannot setup projected volume ${volume} because kube client is not configured`);
  const fsUser = fsUserFrom(pod);
  const mode = fsUser !== undefined || podFsGroup(pod) !== undefined ? 0o600 : defaultMode;
  const ns = pod.metadata.namespace ?? 'default';
  const sa = (pod.spec as IPodSpec | undefined)?.serviceAccountName ?? 'default';
  let token: string;
  try {
    const tr = await source.serviceAccountToken(ns, sa, {
      audiences: tp.audience ? [tp.audience] : [],
      ...(tp.expirationSeconds !== undefined ? { expirationSeconds: tp.expirationSeconds } : {}),
      boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name ?? '', uid: pod.metadata.uid ?? '' },
    });
    token = tr.token;
  } catch (e) {
    throw new VolumeError(volume, (e as Error).message);
  }
  return { path: tp.path, content: Buffer.from(token), mode, ...(fsUser !== undefined ? { uid: fsUser } : {}) };
}

/** The files of one content volume, or undefined for volumes that are plain directories. */
export async function volumeFiles(pod: KObject, v: Volume, source: ObjectSource, alloc: NodeAllocatable): Promise<VolumeFile[] | undefined> {
  const ns = pod.metadata.namespace ?? 'default';
  if (v.configMap) {
    const c = v.configMap;
    const cm = await source.configMap(ns, c.name ?? '');
    if (!cm) {
      if (c.optional) return [];
      throw new VolumeError(v.name, `configmap "${c.name}" not found`);
    }
    return keyFiles(`configmap ${ns}/${c.name}`, cmData(cm), c.items, c.defaultMode ?? DEFAULT_MODE, v.name, !!c.optional);
  }
  if (v.secret) {
    const c = v.secret;
    const s = await source.secret(ns, c.secretName ?? '');
    if (!s) {
      if (c.optional) return [];
      throw new VolumeError(v.name, `secret "${c.secretName}" not found`);
    }
    return keyFiles(`secret ${ns}/${c.secretName}`, secretData(s), c.items, c.defaultMode ?? DEFAULT_MODE, v.name, !!c.optional);
  }
  if (v.downwardAPI) return downwardFiles(pod, v.downwardAPI.items ?? [], v.downwardAPI.defaultMode ?? DEFAULT_MODE, v.name, alloc);
  if (v.projected) {
    const mode = v.projected.defaultMode ?? DEFAULT_MODE;
    // The sources are fetched side by side (a pod's default token volume is a TokenRequest and a
    // configMap read); the files, and the first failure, are in the sources' order.
    const parts = await Promise.allSettled(
      (v.projected.sources ?? []).map(async (src): Promise<VolumeFile[]> => {
        if (src.configMap) {
          const cm = await source.configMap(ns, src.configMap.name ?? '');
          if (!cm) {
            if (src.configMap.optional) return [];
            throw new VolumeError(v.name, `configmap "${src.configMap.name}" not found`);
          }
          return keyFiles(`configmap ${ns}/${src.configMap.name}`, cmData(cm), src.configMap.items, mode, v.name, !!src.configMap.optional);
        }
        if (src.secret) {
          const s = await source.secret(ns, src.secret.name ?? '');
          if (!s) {
            if (src.secret.optional) return [];
            throw new VolumeError(v.name, `secret "${src.secret.name}" not found`);
          }
          return keyFiles(`secret ${ns}/${src.secret.name}`, secretData(s), src.secret.items, mode, v.name, !!src.secret.optional);
        }
        if (src.downwardAPI) return downwardFiles(pod, src.downwardAPI.items ?? [], mode, v.name, alloc);
        if (src.serviceAccountToken) return [await serviceAccountTokenFile(pod, src.serviceAccountToken, mode, v.name, source)];
        return [];
      }),
    );
    const failed = parts.find((p): p is PromiseRejectedResult => p.status === 'rejected');
    if (failed) throw failed.reason;
    return parts.flatMap((p) => (p.status === 'fulfilled' ? p.value : []));
  }
  if (v.emptyDir) return undefined;
  throw new VolumeError(v.name, `volume type of volume "${v.name}" is not supported on this node`);
}

/** Where a volume lives on the node: `<podDir>/volumes/kubernetes.io~<type>/<name>`. */
export function volumeDir(podDir: string, v: Volume): string {
  const kind = v.emptyDir ? 'empty-dir' : v.configMap ? 'configmap' : v.secret ? 'secret' : v.downwardAPI ? 'downward-api' : v.projected ? 'projected' : 'other';
  return join(podDir, 'volumes', `kubernetes.io~${kind}`, v.name);
}

function sameFiles(dir: string, files: VolumeFile[]): boolean {
  // Compared through the serialized form so an unchanged object does not churn the data dir.
  const marker = join(dir, '..data', '.skiff-digest');
  try {
    return readFileMaybe(marker) === digest(files);
  } catch {
    return false;
  }
}

function readFileMaybe(p: string): string | undefined {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
}
function digest(files: VolumeFile[]): string {
  const h = createHash('sha256');
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    h.update(f.path).update('\0').update(String(f.mode)).update('\0').update(f.content).update('\0');
    if (f.uid !== undefined) h.update(`uid=${f.uid}`).update('\0');
  }
  return h.digest('hex');
}

/** Writes files atomically into dir; returns true when the content changed. */
export function writeAtomic(dir: string, files: VolumeFile[], now = Date.now(), setPerms?: () => void): boolean {
  mkdirSync(dir, { recursive: true });
  if (sameFiles(dir, files)) return false;
  const stamp = `..${new Date(now).toISOString().replace(/[-:]/g, '_').replace('T', '_').replace('Z', '')}.${process.pid}${Math.floor(Math.random() * 1e6)}`;
  const dataDir = join(dir, stamp);
  mkdirSync(dataDir);
  for (const f of files) {
    const p = join(dataDir, f.path);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, f.content);
    chmodSync(p, f.mode);
    // AtomicWriter chowns to FsUser only (the group stays; fsGroup is setPerms' business).
    if (f.uid !== undefined) chownSync(p, f.uid, -1);
  }
  writeFileSync(join(dataDir, '.skiff-digest'), digest(files));
  // As AtomicWriter's setPerms: fsGroup ownership before readers can see the new files.
  setPerms?.();
  const tmpLink = join(dir, '..data_tmp');
  rmSync(tmpLink, { force: true });
  symlinkSync(stamp, tmpLink);
  let old: string | undefined;
  try {
    old = readlinkSync(join(dir, '..data'));
  } catch {
    old = undefined;
  }
  renameSync(tmpLink, join(dir, '..data'));
  const wanted = new Set(files.map((f) => f.path.split('/')[0]));
  for (const top of wanted) {
    const link = join(dir, top);
    try {
      if (lstatSync(link).isSymbolicLink()) continue;
      rmSync(link, { recursive: true, force: true });
    } catch {
      // not there yet
    }
    symlinkSync(join('..data', top), link);
  }
  for (const name of readdirSync(dir)) {
    if (name.startsWith('..')) {
      if (name !== '..data' && name !== stamp && (name === old || /^\.\.\d/.test(name))) rmSync(join(dir, name), { recursive: true, force: true });
      continue;
    }
    if (!wanted.has(name)) rmSync(join(dir, name), { recursive: true, force: true });
  }
  return true;
}

/** Mounts of a container from its volumeMounts (subPath resolved inside the volume dir). */
export function containerMounts(
  podDir: string,
  volumes: Volume[],
  c: { volumeMounts?: { name: string; mountPath: string; readOnly?: boolean; subPath?: string }[] },
): Mount[] {
  const out: Mount[] = [];
  for (const m of c.volumeMounts ?? []) {
    const v = volumes.find((x) => x.name === m.name);
    if (!v) continue;
    const base = v.hostPath ? v.hostPath.path ?? '' : volumeDir(podDir, v);
    const readOnly = m.readOnly || !!(v.configMap || v.secret || v.downwardAPI || v.projected);
    out.push({ hostPath: m.subPath ? join(base, m.subPath) : base, containerPath: m.mountPath, readOnly });
  }
  return out;
}

/** Creates or refreshes every volume of the pod; returns the names of volumes whose content changed. */
export async function setUpVolumes(pod: KObject, podDir: string, source: ObjectSource, alloc: NodeAllocatable): Promise<string[]> {
  const vols = (((pod.spec as { volumes?: Volume[] })?.volumes) ?? []) as Volume[];
  const changed: string[] = [];
  for (const v of vols) {
    if (v.hostPath) {
      try {
        setUpHostPath(v.hostPath.path ?? '', v.hostPath.type);
      } catch (e) {
        throw new VolumeError(v.name, (e as Error).message);
      }
      continue;
    }
    const dir = volumeDir(podDir, v);
    const files = await volumeFiles(pod, v, source, alloc);
    if (files === undefined) {
      setUpEmptyDir(dir, podFsGroup(pod));
      continue;
    }
    if (writeAtomic(dir, files, Date.now(), () => setVolumeOwnership(dir, podFsGroup(pod), { readOnly: true }))) changed.push(v.name);
  }
  return changed;
}
