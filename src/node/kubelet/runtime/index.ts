// The container runtime, as a CRI runtime does it with runc: pod sandboxes (network namespace,
// IPC and UTS namespaces, cgroup, hosts/resolv.conf/hostname files, a pause process when the pod
// shares its PID namespace) and containers as OCI bundles that runc runs detached under a shim.
// Its state lives on disk under <nodeDir>/pods/<podUid>/ (and runc's under <nodeDir>/runc) so
// that a restarted agent adopts running pods (listSandboxes, containerStatus) without being the
// parent of their processes.
import { randomBytes } from 'node:crypto';
import { type FSWatcher, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { READY_FILE_ENV } from '../../../images/config.js';
import { addPodNetwork, removePodNetwork, netnsPath, nodeAddress, nodeNetns } from '../../network/index.js';
import { HelperLauncher, type Launcher } from '../../launcher.js';
import {
  type CgroupDriver, type CgroupUsage, containerCgroupsPath, containerOomFile, detectCgroups, containerCgroupStats, ensureClusterCgroup, ensurePodCgroup, podCgroupStats, procsFiles, removePodCgroup,
} from './cgroups.js';
import { ensureHelper, ensurePauseRoot } from './helper.js';
import { mountPointsUnder, unmountUnder } from './host-mounts.js';
import { attemptLayout, containerDir, containerId, pauseId, podLayout, type AttemptLayout, type PodLayout } from './layout.js';
import { streamLog } from './logs.js';
import { containerSpec, type ContainerSecurity, type ContainerSpecInput, type HostFacts, type NamespaceMode } from './oci/spec.js';
import { currentCapabilities, goArch, hostDevices, kernelRelease, loadSeccompProfile, swapControllerAvailable, unifiedCgroups } from './oci/host.js';
import type { ContainerResources } from './oci/resources.js';
import type { MountPropagation } from './oci/mounts.js';
import { SHIM_PATH, parseExitFile, runcError, shimArgv } from './shim.js';
import { execInContainer, portForwardProcess } from './exec.js';

export interface RuntimeOptions {
  cluster: string;
  clusterDir: string;
  node: string;
  index: number;
  nodeDir: string;
  /** The CPU every node's pods may share, in millicores (the nodes' allocatable): the cluster cgroup's weight. */
  podsCpuMillis?: number;
}
export interface SandboxConfig {
  podUid: string;
  namespace: string;
  name: string;
  hostname: string;
  hostsFile: string;
  resolvConf: string;
  cpuLimitMillis?: number;
  memoryLimitBytes?: number;
  /** The pod's CPU requests in millicores (its cgroup's weight); none is best effort. */
  cpuRequestMillis?: number;
  /** The node's network namespace and address instead of the pod's own. */
  hostNetwork?: boolean;
  /** The host's IPC namespace. */
  hostIPC?: boolean;
  /** The host's PID namespace for every container. */
  hostPID?: boolean;
  /** One PID namespace for the pod's containers, held by a pause process. */
  shareProcessNamespace?: boolean;
  /** The pod's own sysctls, (path under /proc/sys, value), set after the runtime's defaults. */
  sysctls?: Array<[string, string]>;
}
export interface SandboxStatus {
  podUid: string;
  namespace: string;
  name: string;
  netns: string;
  ip: string;
  createdAt: string;
  hostNetwork?: boolean;
}
export interface Mount {
  hostPath: string;
  containerPath: string;
  readOnly?: boolean;
  propagation?: MountPropagation;
}
export interface ContainerConfig {
  podUid: string;
  name: string;
  attempt: number;
  /** The command in the container's root; argv[0] is looked up on the env's PATH there. */
  argv: string[];
  env: Record<string, string>;
  workingDir?: string;
  mounts: Mount[];
  tty?: boolean;
  stdin?: boolean;
  /** The image's program notifies when it serves (ImageConfig.notifyReady): start returns then. */
  notifyReady?: boolean;
  /** The image: its root (the overlay's lower layer) and host files bound read-only over it. */
  image: { rootfs: string; mounts: Mount[] };
  /** Default: root. */
  user?: { uid: number; gid: number; additionalGids?: number[] };
  security?: ContainerSecurity;
  resources?: ContainerResources;
}
export interface ContainerStatus {
  podUid: string;
  name: string;
  attempt: number;
  state: 'running' | 'exited';
  pid?: number;
  startedAt: string;
  finishedAt?: string;
  exitCode?: number;
  reason?: 'Completed' | 'Error' | 'OOMKilled';
  logPath: string;
}
export interface ExecProcess {
  stdin: NodeJS.WritableStream | null;
  stdout: NodeJS.ReadableStream;
  stderr: NodeJS.ReadableStream | null;
  resize(cols: number, rows: number): void;
  exit: Promise<number>;
}
export interface LogOptions {
  previous?: boolean;
  follow?: boolean;
  tailLines?: number;
  sinceTime?: Date;
  timestamps?: boolean;
  limitBytes?: number;
}

/** A pod's usage (cgroup totals) and that of each of its running containers. */
export interface PodStats extends CgroupUsage {
  containers: Array<CgroupUsage & { name: string; startedAt: string }>;
}

/** A failure to run what was asked; the message is meant for the pod's events. */
export class RuntimeError extends Error {}

/** The pod's network could not be attached: its sandbox is to be made again (FailedCreatePodSandBox). */
export class SandboxNetworkError extends RuntimeError {}

interface SandboxRecord extends SandboxStatus {
  hostname: string;
  hostIPC?: boolean;
  hostPID?: boolean;
  shareProcessNamespace?: boolean;
  /** Set until the CNI plugin has attached the network: a record left so by a crash is not a sandbox. */
  attaching?: boolean;
}

interface AttemptRecord {
  podUid: string;
  name: string;
  attempt: number;
  argv: string[];
  startedAt: string;
  logPath: string;
}

/** Exit code Kubernetes reports for a container that was lost (its process gone without a recorded exit). */
const LOST_EXIT_CODE = 137;

function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

function writeFileAtomic(path: string, content: string): void {
  writeFileSync(`${path}.tmp`, content);
  renameSync(`${path}.tmp`, path);
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Whether pid is alive and still the process whose command line mentions marker (not a reused pid). */
function aliveWith(pid: number, marker: string): boolean {
  const cmdline = readText(`/proc/${pid}/cmdline`);
  if (cmdline === undefined || !cmdline.includes(marker)) return false;
  const stat = readText(`/proc/${pid}/stat`) ?? '';
  return !/^\d+ \(.*\) Z /s.test(stat);
}

/** Where a notifying container finds the directory of its ready file (see src/addons/ready.ts). */
const NOTIFY_MOUNT = '/run/skiff';
const READY_FILE_NAME = 'ready';
/** How long a start waits for a notifying program's READY=1 before it reports the container started. */
const NOTIFY_LIMIT_MS = 10_000;

/** The user the pause image runs as (kubernetes build/pause Dockerfile: USER 65535:65535). */
const PAUSE_USER = { uid: 65535, gid: 65535 };

/**
 * containerd 2.0's CRI defaults (enable_unprivileged_ports, enable_unprivileged_icmp): a pod's
 * network namespace lets any user bind ports below 1024 and ping, so that images running as
 * non-root (the DNS and ingress add-ons) serve on 53, 80 and 443 without file capabilities.
 */
const POD_SYSCTLS: ReadonlyArray<[string, string]> = [
  ['net/ipv4/ip_unprivileged_port_start', '0'],
  ['net/ipv4/ping_group_range', '0 2147483647'],
];

/**
 * Probes until it gives a value or the time is up, at growing intervals; a change in one of
 * `dirs` (inotify) makes it look again at once, so that a file the shim renames into place there
 * is seen when it appears rather than at the next interval.
 */
async function until<T>(probe: () => T | undefined, timeoutMs: number, maxIntervalMs = 50, dirs: string[] = []): Promise<T | undefined> {
  let wake: (() => void) | undefined;
  const watchers: FSWatcher[] = [];
  for (const dir of dirs) {
    try {
      const w = watch(dir, () => wake?.());
      w.on('error', () => undefined);
      watchers.push(w);
    } catch {
      // Not there (yet) or no inotify left: the intervals alone.
    }
  }
  try {
    const deadline = Date.now() + timeoutMs;
    for (let wait = 2; ; wait = Math.min(wait * 2, maxIntervalMs)) {
      const v = probe();
      if (v !== undefined) return v;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(wait, left));
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wake = undefined;
    }
  } finally {
    for (const w of watchers) w.close();
  }
}

/** containerd's words for a container runc could not create, as the kubelet passes them on. */
export function createError(runcMessage: string): string {
  return `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: ${runcMessage}: unknown`;
}

export class Runtime {
  private cgroupDriver?: CgroupDriver;
  private helperPath?: string;
  private launcherOf?: Launcher;
  private facts?: HostFacts;
  private devices?: HostFacts['devices'];
  private readonly perPod = new Map<string, Promise<unknown>>();
  /** Sandboxes whose network the CNI plugin is still attaching: what their containers' start waits for. */
  private readonly attaching = new Map<string, Promise<Error | undefined>>();
  private readonly runcRoot: string;
  private clusterCgroupWeighed = false;

  constructor(private readonly o: RuntimeOptions) {
    this.runcRoot = join(o.nodeDir, 'runc');
  }

  private get cg(): CgroupDriver {
    this.cgroupDriver ??= detectCgroups();
    return this.cgroupDriver;
  }

  private get helper(): string {
    this.helperPath ??= ensureHelper(this.o.clusterDir);
    return this.helperPath;
  }

  /** What starts the programs of a pod's start: the resident launcher, so that the agent never forks itself. */
  private get launcher(): Launcher {
    this.launcherOf ??= new HelperLauncher(this.helper);
    return this.launcherOf;
  }

  /** What the spec builder needs from the machine, read once (the seccomp profile is ~30 KB of JSON). */
  private hostFacts(privileged: boolean): HostFacts {
    this.facts ??= {
      allCapabilities: currentCapabilities(),
      unifiedCgroups: unifiedCgroups(),
      swapController: swapControllerAvailable(),
      defaultSeccompProfile: loadSeccompProfile(),
      arch: goArch(),
      kernelRelease: kernelRelease(),
    };
    if (!privileged) return this.facts;
    this.devices ??= hostDevices();
    return { ...this.facts, devices: this.devices };
  }

  /** Sandbox operations of one pod run one after another. */
  private serial<T>(podUid: string, fn: () => Promise<T>): Promise<T> {
    const next = (this.perPod.get(podUid) ?? Promise.resolve()).catch(() => undefined).then(fn);
    this.perPod.set(podUid, next);
    const forget = () => {
      if (this.perPod.get(podUid) === next) this.perPod.delete(podUid);
    };
    next.then(forget, forget);
    return next;
  }

  private netOptions(podUid: string) {
    return { cluster: this.o.cluster, node: this.o.node, index: this.o.index, podUid, stateDir: this.o.nodeDir, launcher: this.launcher };
  }

  private sandbox(podUid: string): SandboxRecord | undefined {
    return readJson<SandboxRecord>(podLayout(this.o.nodeDir, podUid).state);
  }

  /** Whether everything the record names is still there: namespaces, cgroup, pause. */
  private intact(rec: SandboxRecord, lay: PodLayout): boolean {
    if (rec.attaching && !this.attaching.has(rec.podUid)) return false;
    if (!existsSync(netnsPath(rec.netns))) return false;
    if (!procsFiles(this.cg, this.o.cluster, rec.podUid).every((f) => existsSync(f))) return false;
    const held = mountPointsUnder(join(lay.dir, 'ns'));
    if (!held.includes(lay.utsNs) || (!rec.hostIPC && !held.includes(lay.ipcNs))) return false;
    return !this.sharesPid(rec) || this.pausePid(lay) !== undefined;
  }

  private sharesPid(rec: SandboxRecord): boolean {
    return rec.shareProcessNamespace === true && rec.hostPID !== true;
  }

  private pausePid(lay: PodLayout): number | undefined {
    const pid = Number(readText(lay.pause.pid));
    const shim = Number(readText(join(lay.pause.dir, 'shim.pid')));
    return pid > 0 && shim > 0 && aliveWith(shim, lay.pause.dir) && !existsSync(lay.pause.exit) ? pid : undefined;
  }

  runSandbox(c: SandboxConfig): Promise<SandboxStatus> {
    return this.serial(c.podUid, async () => {
      const lay = podLayout(this.o.nodeDir, c.podUid);
      const old = readJson<SandboxRecord>(lay.state);
      if (old && this.intact(old, lay)) return statusOf(old);
      const what = `creating the sandbox of pod ${c.namespace}/${c.name} (${c.podUid})`;
      try {
        mkdirSync(lay.containers, { recursive: true });
        mkdirSync(lay.logs, { recursive: true });
        writeFileSync(lay.hosts, c.hostsFile);
        writeFileSync(lay.resolvConf, c.resolvConf);
        writeFileSync(lay.hostname, `${c.hostname}\n`);
        if (this.o.podsCpuMillis !== undefined && !this.clusterCgroupWeighed) {
          ensureClusterCgroup(this.cg, this.o.cluster, this.o.podsCpuMillis);
          this.clusterCgroupWeighed = true;
        }
        ensurePodCgroup(this.cg, this.o.cluster, c.podUid, c.cpuLimitMillis, c.memoryLimitBytes, c.cpuRequestMillis);
        let net: { netns: string; ip: string; attached?: Promise<void> };
        if (c.hostNetwork) {
          net = { netns: nodeNetns(this.o.cluster, this.o.index), ip: nodeAddress(this.o.index) };
          await this.holdNamespaces(lay, netnsPath(net.netns), c);
        } else {
          // The network namespace, its lo and the IPC and UTS namespaces are made by one process, while the CNI plugin attaches it.
          net = await addPodNetwork(this.netOptions(c.podUid), (path, o) => this.holdNamespaces(lay, path, c, o));
        }
        const rec: SandboxRecord = {
          podUid: c.podUid,
          namespace: c.namespace,
          name: c.name,
          netns: net.netns,
          ip: net.ip,
          createdAt: old?.createdAt ?? new Date().toISOString(),
          hostname: c.hostname,
          ...(c.hostNetwork ? { hostNetwork: true } : {}),
          ...(c.hostIPC ? { hostIPC: true } : {}),
          ...(c.hostPID ? { hostPID: true } : {}),
          ...(c.shareProcessNamespace ? { shareProcessNamespace: true } : {}),
        };
        if (net.attached) this.whileAttaching(rec, lay, net.attached);
        if (this.sharesPid(rec) && this.pausePid(lay) === undefined) await this.startPause(rec, lay);
        writeFileAtomic(lay.state, JSON.stringify(rec));
        return statusOf(rec);
      } catch (e) {
        throw new RuntimeError(`${what}: ${(e as Error).message}`);
      }
    });
  }

  /**
   * The sandbox is handed out while the CNI plugin attaches its network (its address is known):
   * its containers are created meanwhile and started once it is attached. The record says so
   * until then; a failed attachment leaves it so, and the sandbox is made again.
   */
  private whileAttaching(rec: SandboxRecord, lay: PodLayout, attached: Promise<void>): void {
    rec.attaching = true;
    const done = attached.then(
      () => {
        delete rec.attaching;
        try {
          writeFileAtomic(lay.state, JSON.stringify(rec));
        } catch {
          // Removed meanwhile: the pod went while it was being attached.
        }
        return undefined;
      },
      (e: unknown) => new SandboxNetworkError(`attaching the network of pod ${rec.namespace}/${rec.name} (${rec.podUid}): ${(e as Error).message}`),
    );
    this.attaching.set(rec.podUid, done);
    const forget = () => {
      if (this.attaching.get(rec.podUid) === done) this.attaching.delete(rec.podUid);
    };
    void done.then(forget);
  }

  /**
   * Brings up lo of the pod's own network namespace (created first with `create`, `pinned` told
   * once it is) and creates its IPC (unless hostIPC) and UTS namespaces there, pinned to files.
   */
  private async holdNamespaces(lay: PodLayout, netns: string, c: SandboxConfig, o: { create: boolean; pinned: () => void } = { create: false, pinned: () => {} }): Promise<void> {
    // A sandbox made again (its pause or a namespace went) lets go of the old namespaces first.
    if (existsSync(join(lay.dir, 'ns'))) await unmountUnder(join(lay.dir, 'ns'));
    mkdirSync(join(lay.dir, 'ns'), { recursive: true });
    const files = c.hostIPC ? [lay.utsNs] : [lay.ipcNs, lay.utsNs];
    for (const f of files) writeFileSync(f, '');
    const sysctls = [...(c.hostNetwork ? [] : POD_SYSCTLS), ...(c.sysctls ?? [])].flat();
    await run(this.launcher, [this.helper, '--sandbox', o.create ? `+${netns}` : netns, c.hostNetwork ? '-' : 'lo', c.hostIPC ? '-' : lay.ipcNs, lay.utsNs, c.hostname, ...sysctls], o.create ? o.pinned : undefined);
  }

  /** The pod's namespaces as a container of it joins them; the pause container gets a new PID namespace. */
  private namespaces(rec: SandboxRecord, lay: PodLayout, pause = false): ContainerSpecInput['namespaces'] {
    let pid: NamespaceMode = { mode: 'new' };
    if (rec.hostPID) pid = { mode: 'host' };
    else if (this.sharesPid(rec) && !pause) {
      const p = this.pausePid(lay);
      if (p === undefined) throw new Error('the pause process that holds the pod\'s PID namespace is not running');
      pid = { mode: 'path', path: `/proc/${p}/ns/pid` };
    }
    return {
      network: { mode: 'path', path: netnsPath(rec.netns) },
      ipc: rec.hostIPC ? { mode: 'host' } : { mode: 'path', path: lay.ipcNs },
      uts: { mode: 'path', path: lay.utsNs },
      pid,
    };
  }

  /** Starts the pod's pause container, PID 1 of the PID namespace its containers share. */
  private async startPause(rec: SandboxRecord, lay: PodLayout): Promise<void> {
    const b = lay.pause;
    rmSync(b.dir, { recursive: true, force: true });
    mkdirSync(b.dir, { recursive: true });
    const spec = containerSpec({
      args: ['/pause'],
      rootfs: 'rootfs',
      hostname: rec.hostname,
      namespaces: this.namespaces(rec, lay, true),
      user: PAUSE_USER,
      security: { capabilities: { drop: ['ALL'] }, allowPrivilegeEscalation: false, seccomp: { type: 'RuntimeDefault' }, readOnlyRootFilesystem: true },
      cgroupsPath: containerCgroupsPath(this.o.cluster, rec.podUid, pauseId(rec.podUid)),
      host: this.hostFacts(false),
    });
    writeFileSync(b.spec, JSON.stringify(spec));
    const lower = ensurePauseRoot(this.helper, this.o.clusterDir);
    await this.launch(b, pauseId(rec.podUid), lower, rec.podUid);
    const started = await until(() => (existsSync(b.pid) || existsSync(b.exit) ? true : undefined), 10_000, undefined, [b.dir]);
    if (!started || !existsSync(b.pid)) {
      const why = runcError(readText(b.runcLog) ?? '') ?? 'it did not start within 10s';
      throw new Error(`starting the pause container: ${why}`);
    }
  }

  /** Starts the shim of a bundle, detached; it records the pid and the exit in the bundle. */
  private async launch(b: AttemptLayout, id: string, lower: string, podUid: string): Promise<void> {
    mkdirSync(this.runcRoot, { recursive: true });
    for (const d of [b.rootfs, b.upper, b.work]) mkdirSync(d, { recursive: true });
    const shim = shimArgv({
      attemptDir: b.dir,
      logPath: b.log,
      helper: this.helper,
      oomFile: containerOomFile(this.cg, this.o.cluster, podUid, id),
      lowerDir: lower,
      runcRoot: this.runcRoot,
      id,
    });
    const pid = await this.launcher.detach(shim, { cwd: '/', env: { PATH: SHIM_PATH } });
    writeFileSync(join(b.dir, 'shim.pid'), String(pid));
  }

  removeSandbox(podUid: string): Promise<void> {
    return this.serial(podUid, async () => {
      const lay = podLayout(this.o.nodeDir, podUid);
      const rec = this.sandbox(podUid);
      const what = `removing the sandbox of pod ${podUid}`;
      try {
        // Every process in the pod's namespaces joined its cgroup: containers, execs, port-forwards, pause.
        await removePodCgroup(this.cg, this.o.cluster, podUid);
        await this.reapShims(podUid);
        // State of containers whose shim could not delete them (it was killed): their processes are gone.
        for (const id of this.runcIds(podUid)) rmSync(join(this.runcRoot, id), { recursive: true, force: true });
        if (!rec?.hostNetwork) await removePodNetwork(this.netOptions(podUid));
        await unmountUnder(lay.dir);
        rmSync(lay.dir, { recursive: true, force: true });
      } catch (e) {
        throw new RuntimeError(`${what}: ${(e as Error).message}`);
      }
    });
  }

  /** runc's names of the pod's containers that it still has state for. */
  private runcIds(podUid: string): string[] {
    try {
      return readdirSync(this.runcRoot).filter((id) => id.startsWith(`${podUid}-`));
    } catch {
      return [];
    }
  }

  /** Waits for the pod's shims to record their exits; kills those that do not. */
  private async reapShims(podUid: string): Promise<void> {
    const lay = podLayout(this.o.nodeDir, podUid);
    const shims = [...this.attempts(podUid).map(({ lay: a }) => a.dir), lay.pause.dir].flatMap((dir) => {
      const pid = Number(readText(join(dir, 'shim.pid')));
      return pid > 0 && aliveWith(pid, dir) ? [{ pid, dir }] : [];
    });
    const gone = await until(() => (shims.every((s) => !aliveWith(s.pid, s.dir)) ? true : undefined), 5_000);
    if (gone) return;
    for (const s of shims) {
      if (!aliveWith(s.pid, s.dir)) continue;
      try {
        process.kill(s.pid, 'SIGKILL');
      } catch {
        // Gone meanwhile.
      }
    }
  }

  listSandboxes(): SandboxStatus[] {
    let uids: string[] = [];
    try {
      uids = readdirSync(join(this.o.nodeDir, 'pods'));
    } catch {
      return [];
    }
    return uids.flatMap((uid) => {
      const rec = this.sandbox(uid);
      return rec ? [statusOf(rec)] : [];
    });
  }

  /** Every recorded attempt of the pod's containers. */
  private attempts(podUid: string): Array<{ name: string; attempt: number; lay: AttemptLayout }> {
    const pod = podLayout(this.o.nodeDir, podUid);
    let names: string[] = [];
    try {
      names = readdirSync(pod.containers);
    } catch {
      return [];
    }
    return names.flatMap((name) => this.attemptNumbers(podUid, name).map((attempt) => ({ name, attempt, lay: attemptLayout(pod, name, attempt) })));
  }

  private attemptNumbers(podUid: string, name: string): number[] {
    try {
      return readdirSync(containerDir(podLayout(this.o.nodeDir, podUid), name))
        .filter((d) => /^\d+$/.test(d))
        .map(Number)
        .sort((a, b) => a - b);
    } catch {
      return [];
    }
  }

  async startContainer(c: ContainerConfig): Promise<ContainerStatus> {
    const sb = this.sandbox(c.podUid);
    const what = `starting container ${c.name} of pod ${sb ? `${sb.namespace}/${sb.name}` : c.podUid}`;
    if (!sb) throw new RuntimeError(`${what}: the pod sandbox does not exist`);
    if (c.argv.length === 0) throw new RuntimeError(`${what}: no command specified`);
    const attaching = this.attaching.get(c.podUid);
    if (sb.attaching && !attaching) throw new SandboxNetworkError(`${what}: the network of the pod sandbox was never attached`);
    const pod = podLayout(this.o.nodeDir, c.podUid);
    const a = attemptLayout(pod, c.name, c.attempt);
    if (existsSync(a.record)) {
      const st = this.containerStatus(c.podUid, c.name, c.attempt);
      if (st) return st;
    }
    const id = containerId(c.podUid, c.name, c.attempt);
    try {
      await this.pruneAttempts(c.podUid, c.name, c.attempt);
      mkdirSync(a.dir, { recursive: true });
      mkdirSync(join(pod.logs, c.name), { recursive: true });
      writeFileSync(a.log, '', { flag: 'a' });
      let { env, mounts } = c;
      if (c.notifyReady) {
        mkdirSync(a.notifyDir, { recursive: true });
        // The program writes its ready file as the container's user.
        if (c.user) chownSync(a.notifyDir, c.user.uid, c.user.gid);
        mounts = [...mounts, { hostPath: a.notifyDir, containerPath: NOTIFY_MOUNT }];
        env = { ...env, [READY_FILE_ENV]: `${NOTIFY_MOUNT}/${READY_FILE_NAME}` };
      }
      const privileged = c.security?.privileged === true;
      const spec = containerSpec({
        args: c.argv,
        env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
        cwd: c.workingDir,
        rootfs: 'rootfs',
        hostname: sb.hostname,
        namespaces: this.namespaces(sb, pod),
        ...(c.user ? { user: c.user } : {}),
        ...(c.security ? { security: c.security } : {}),
        mounts: [...c.image.mounts.map((m) => ({ ...m, readOnly: true })), ...mounts],
        podFiles: { hosts: pod.hosts, resolvConf: pod.resolvConf, hostname: pod.hostname },
        cgroupsPath: containerCgroupsPath(this.o.cluster, c.podUid, id),
        ...(c.resources ? { resources: c.resources } : {}),
        host: this.hostFacts(privileged),
      });
      writeFileSync(a.spec, JSON.stringify(spec));
      const rec: AttemptRecord = { podUid: c.podUid, name: c.name, attempt: c.attempt, argv: c.argv, startedAt: new Date().toISOString(), logPath: a.log };
      writeFileAtomic(a.record, JSON.stringify(rec));
      if (attaching) writeFileSync(a.hold, '');
      await this.launch(a, id, c.image.rootfs, c.podUid);
    } catch (e) {
      if (attaching) rmSync(a.hold, { force: true });
      throw new RuntimeError(`${what}: ${(e as Error).message}`);
    }
    if (attaching) {
      const failed = await attaching;
      // The shim starts the container it created once the hold goes; after `abort`, it deletes it.
      if (failed) writeFileSync(a.abort, `${failed.message}\n`);
      rmSync(a.hold, { force: true });
      if (failed) {
        await until(() => (existsSync(a.exit) ? true : undefined), 10_000, undefined, [a.dir]);
        rmSync(a.dir, { recursive: true, force: true });
        rmSync(a.log, { force: true });
        throw failed;
      }
    }
    const started = await until(() => (existsSync(a.pid) || existsSync(a.exit) ? true : undefined), 10_000, undefined, [a.dir]);
    if (started && !existsSync(a.pid)) {
      // runc could not create it: as with containerd, there is no container, only the error.
      const why = runcError(readText(a.runcLog) ?? '') ?? 'runc failed without saying why';
      rmSync(a.dir, { recursive: true, force: true });
      rmSync(a.log, { force: true });
      throw new RuntimeError(createError(why));
    }
    if (started && c.notifyReady) {
      // A program that never says READY=1 is reported started at the limit all the same, as
      // containerd would have at once: its probes then decide.
      const readyFile = join(a.notifyDir, READY_FILE_NAME);
      // Its READY=1, not the name alone: a program that writes the file in place is seen as it creates it.
      await until(() => (readText(readyFile)?.startsWith('READY=1') || existsSync(a.exit) ? true : undefined), NOTIFY_LIMIT_MS, undefined, [a.notifyDir, a.dir]);
    }
    const st = this.containerStatus(c.podUid, c.name, c.attempt);
    if (!started || !st) throw new RuntimeError(`${what}: the container shim did not start within 10s`);
    return st;
  }

  /**
   * Keeps the previous attempt's record and log (what `logs --previous` and lastState need) and
   * drops older ones. A root its shim could not unmount (the shim was killed) is unmounted first.
   */
  private async pruneAttempts(podUid: string, name: string, attempt: number): Promise<void> {
    const pod = podLayout(this.o.nodeDir, podUid);
    for (const n of this.attemptNumbers(podUid, name)) {
      if (n >= attempt) continue;
      const old = attemptLayout(pod, name, n);
      await unmountUnder(old.dir);
      if (n < attempt - 1) {
        rmSync(old.dir, { recursive: true, force: true });
        rmSync(old.log, { force: true });
      } else {
        // The writable layer of an exited container is not kept across restarts.
        for (const d of [old.upper, old.work, old.rootfs, join(old.dir, 'scratch')]) rmSync(d, { recursive: true, force: true });
      }
    }
  }

  containerStatus(podUid: string, name: string, attempt?: number): ContainerStatus | undefined {
    const n = attempt ?? this.attemptNumbers(podUid, name).at(-1);
    if (n === undefined) return undefined;
    const a = attemptLayout(podLayout(this.o.nodeDir, podUid), name, n);
    const rec = readJson<AttemptRecord>(a.record);
    if (!rec) return undefined;
    const base = { podUid, name, attempt: n, startedAt: rec.startedAt, logPath: a.log };
    const pidText = readText(a.pid);
    const pid = pidText && /^\d+\n$/.test(pidText) ? Number(pidText) : undefined;
    const recorded = (): ContainerStatus | undefined => {
      const exit = parseExitFile(readText(a.exit) ?? '');
      if (!exit) return undefined;
      const reason = exit.oomKilled && exit.exitCode === 137 ? 'OOMKilled' : exit.exitCode === 0 ? 'Completed' : 'Error';
      return { ...base, state: 'exited', pid, exitCode: exit.exitCode, finishedAt: exit.finishedAt, reason };
    };
    const exited = recorded();
    if (exited) return exited;
    const shimPid = Number(readText(join(a.dir, 'shim.pid')));
    if (shimPid > 0 && aliveWith(shimPid, a.dir)) return { ...base, state: 'running', pid };
    if (!existsSync(join(a.dir, 'shim.pid')) && Date.now() - Date.parse(rec.startedAt) < 10_000) return { ...base, state: 'running', pid };
    // The shim records the exit and then ends: it may have done both since the first read.
    const late = recorded();
    if (late) return late;
    // The shim is gone without recording an exit (killed, or the machine restarted).
    let finishedAt = rec.startedAt;
    try {
      finishedAt = statSync(existsSync(a.pid) ? a.pid : a.record).mtime.toISOString();
    } catch {
      // Keep startedAt.
    }
    return { ...base, state: 'exited', pid, exitCode: LOST_EXIT_CODE, finishedAt, reason: 'Error' };
  }

  async stopContainer(podUid: string, name: string, graceSeconds: number): Promise<void> {
    const st = this.containerStatus(podUid, name);
    if (!st || st.state === 'exited') return;
    const exited = () => (this.containerStatus(podUid, name, st.attempt)?.state === 'exited' ? true : undefined);
    const dirs = [attemptLayout(podLayout(this.o.nodeDir, podUid), name, st.attempt).dir];
    const pid = st.pid ?? (await until(() => this.containerStatus(podUid, name, st.attempt)?.pid, 5_000));
    if (pid === undefined) {
      if (exited()) return;
      throw new RuntimeError(`stopping container ${name} of pod ${podUid}: its process never started`);
    }
    // The container's init, as `runc kill` signals it: PID 1 of its own namespace ignores a signal
    // it has no handler for, so SIGKILL follows after the grace period, as upstream.
    signal(pid, 'SIGTERM');
    if (await until(exited, Math.max(0, graceSeconds) * 1000, undefined, dirs)) return;
    signal(pid, 'SIGKILL');
    if (await until(exited, 10_000, undefined, dirs)) return;
    throw new RuntimeError(`stopping container ${name} of pod ${podUid}: process ${pid} did not end after SIGKILL`);
  }

  async readLogs(podUid: string, name: string, o: LogOptions, out: NodeJS.WritableStream, signal: AbortSignal): Promise<void> {
    const sb = this.sandbox(podUid);
    const podName = sb?.name ?? podUid;
    const numbers = this.attemptNumbers(podUid, name).filter((n) => existsSync(attemptLayout(podLayout(this.o.nodeDir, podUid), name, n).log));
    const latest = numbers.at(-1);
    const attempt = o.previous ? numbers.at(-2) : latest;
    if (attempt === undefined) {
      throw new RuntimeError(o.previous ? `previous terminated container "${name}" in pod "${podName}" not found` : `container "${name}" in pod "${podName}" has no logs yet`);
    }
    const a = attemptLayout(podLayout(this.o.nodeDir, podUid), name, attempt);
    await streamLog(a.log, o, out, signal, () => this.containerStatus(podUid, name, attempt)?.state !== 'running');
  }

  exec(podUid: string, name: string, argv: string[], o: { tty: boolean; stdin: boolean }): ExecProcess {
    const st = this.containerStatus(podUid, name);
    if (!st || st.state !== 'running' || st.pid === undefined) throw new RuntimeError(`container ${name} of pod ${podUid} is not running`);
    if (argv.length === 0) throw new RuntimeError(`exec in container ${name} of pod ${podUid}: no command`);
    const a = attemptLayout(podLayout(this.o.nodeDir, podUid), name, st.attempt);
    const logFile = join(a.dir, `exec-${randomBytes(6).toString('hex')}.log`);
    return execInContainer({ runcRoot: this.runcRoot, id: containerId(podUid, name, st.attempt), logFile, argv, tty: o.tty, stdin: o.stdin });
  }

  async portForward(podUid: string, port: number): Promise<Duplex> {
    const sb = this.sandbox(podUid);
    if (!sb) throw new RuntimeError(`port-forward to pod ${podUid}: the pod sandbox does not exist`);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RuntimeError(`port-forward to pod ${sb.namespace}/${sb.name}: invalid port ${port}`);
    return portForwardProcess({ procsFiles: procsFiles(this.cg, this.o.cluster, podUid), netnsPath: netnsPath(sb.netns), port });
  }

  stats(podUid: string): PodStats | undefined {
    if (!this.sandbox(podUid)) return undefined;
    const pod = podCgroupStats(this.cg, this.o.cluster, podUid);
    if (!pod) return undefined;
    const latest = new Map<string, number>();
    for (const { name, attempt } of this.attempts(podUid)) latest.set(name, Math.max(latest.get(name) ?? -1, attempt));
    const containers: PodStats['containers'] = [];
    for (const [name, attempt] of latest) {
      const st = this.containerStatus(podUid, name, attempt);
      if (st?.state !== 'running') continue;
      const usage = containerCgroupStats(this.cg, this.o.cluster, podUid, containerId(podUid, name, attempt));
      if (usage) containers.push({ name, startedAt: st.startedAt, ...usage });
    }
    return { ...pod, containers };
  }
}

function statusOf(r: SandboxRecord): SandboxStatus {
  return { podUid: r.podUid, namespace: r.namespace, name: r.name, netns: r.netns, ip: r.ip, createdAt: r.createdAt, ...(r.hostNetwork ? { hostNetwork: true } : {}) };
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}

/** Runs a command to its end; `said`, when given, is told of the first thing it prints on stdout. */
async function run(launcher: Launcher, argv: string[], said?: () => void): Promise<void> {
  let told = false;
  const onStdout = () => {
    if (!told) said?.();
    told = true;
  };
  const r = await launcher.run(argv, { env: { PATH: SHIM_PATH }, onStdout });
  if (r.code !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr.toString().trim() || `exit ${r.code ?? r.signal}`}`);
}
