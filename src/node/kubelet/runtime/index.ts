// The container runtime: pod sandboxes (network namespace, cgroup, hosts/resolv.conf/hostname
// files) and containers as detached processes, like a CRI runtime. Its state lives on disk under
// <nodeDir>/pods/<podUid>/ so that a restarted agent adopts running pods (listSandboxes,
// containerStatus) without being the parent of their processes.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, accessSync, constants, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Duplex } from 'node:stream';
import { READY_FILE_ENV } from '../../../images/config.js';
import { addPodNetwork, removePodNetwork, netnsPath } from '../../network/index.js';
import { type CgroupDriver, detectCgroups, ensurePodCgroup, oomEventsFile, podCgroupStats, procsFiles, removePodCgroup } from './cgroups.js';
import { attemptLayout, containerDir, podLayout, type AttemptLayout } from './layout.js';
import { ensureLogStamper } from './logstamp.js';
import { streamLog } from './logs.js';
import { SHIM_PATH, launchArgv, parseExitFile, shimArgv } from './shim.js';
import { execInContainer, portForwardProcess } from './exec.js';

export interface RuntimeOptions {
  cluster: string;
  clusterDir: string;
  node: string;
  index: number;
  nodeDir: string;
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
}
export interface SandboxStatus {
  podUid: string;
  namespace: string;
  name: string;
  netns: string;
  ip: string;
  createdAt: string;
}
export interface Mount {
  hostPath: string;
  containerPath: string;
  readOnly?: boolean;
}
export interface ContainerConfig {
  podUid: string;
  name: string;
  attempt: number;
  argv: string[];
  env: Record<string, string>;
  workingDir?: string;
  mounts: Mount[];
  tty?: boolean;
  stdin?: boolean;
  /** The image's program notifies when it serves (ImageConfig.notifyReady): start returns then. */
  notifyReady?: boolean;
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

/** A failure to run what was asked; the message is meant for the pod's events. */
export class RuntimeError extends Error {}

interface SandboxRecord extends SandboxStatus {
  hostname: string;
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls probe with a growing interval until it returns a value or the time is up. */
/** Where a notifying container finds the directory of its ready file (see src/addons/ready.ts). */
const NOTIFY_MOUNT = '/run/skiff';
const READY_FILE_NAME = 'ready';
/** How long a start waits for a notifying program's READY=1 before it reports the container started. */
const NOTIFY_LIMIT_MS = 10_000;

/** A start's waits look often: a pod's start, and `skiff up`'s add-ons, wait on them. */
const START_POLL_MAX_MS = 10;

async function until<T>(probe: () => T | undefined, timeoutMs: number, maxIntervalMs = 50): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (let wait = 2; ; wait = Math.min(wait * 2, maxIntervalMs)) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() >= deadline) return undefined;
    await sleep(wait);
  }
}

/** Resolves argv[0] the way execvp would, on the host's root (the container's lower layer). */
export function resolveExecutable(argv0: string, pathEnv: string | undefined): string | undefined {
  const candidates = argv0.includes('/') ? [argv0] : (pathEnv ?? SHIM_PATH).split(delimiter).filter(Boolean).map((d) => join(d, argv0));
  for (const c of candidates) {
    try {
      if (statSync(c).isFile()) {
        accessSync(c, constants.X_OK);
        return c;
      }
    } catch {
      // Try the next one.
    }
  }
  return undefined;
}

/** Mount points in this mount namespace, longest first. */
function mountPoints(): string[] {
  const text = readText('/proc/self/mountinfo') ?? '';
  const out = text
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => !!p)
    .map((p) => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
  return [...new Set(out)].sort((a, b) => b.length - a.length);
}

/**
 * Host mounts other than / that hold the given paths: the overlay only shows the root
 * filesystem, so the binary of a container that lives on another mount is bound in read-only.
 */
export function hostMountsFor(paths: string[], mounts: string[]): string[] {
  const out = new Set<string>();
  for (const p of paths) {
    const m = mounts.find((mp) => mp === '/' || p === mp || p.startsWith(mp + '/'));
    if (!m || m === '/' || /^\/(proc|sys|dev)(\/|$)/.test(m)) continue;
    out.add(m);
  }
  return [...out];
}

export class Runtime {
  private cgroupDriver?: CgroupDriver;
  private stamper?: { stamper: string; subreaper: string[] };
  private readonly perPod = new Map<string, Promise<unknown>>();

  constructor(private readonly o: RuntimeOptions) {}

  private get cg(): CgroupDriver {
    this.cgroupDriver ??= detectCgroups();
    return this.cgroupDriver;
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
    return { cluster: this.o.cluster, node: this.o.node, index: this.o.index, podUid, stateDir: this.o.nodeDir };
  }

  private sandbox(podUid: string): SandboxRecord | undefined {
    return readJson<SandboxRecord>(podLayout(this.o.nodeDir, podUid).state);
  }

  runSandbox(c: SandboxConfig): Promise<SandboxStatus> {
    return this.serial(c.podUid, async () => {
      const lay = podLayout(this.o.nodeDir, c.podUid);
      const old = readJson<SandboxRecord>(lay.state);
      if (old && existsSync(netnsPath(old.netns)) && procsFiles(this.cg, this.o.cluster, c.podUid).every((f) => existsSync(f))) return statusOf(old);
      const what = `creating the sandbox of pod ${c.namespace}/${c.name} (${c.podUid})`;
      try {
        mkdirSync(lay.containers, { recursive: true });
        mkdirSync(lay.logs, { recursive: true });
        writeFileSync(lay.hosts, c.hostsFile);
        writeFileSync(lay.resolvConf, c.resolvConf);
        writeFileSync(lay.hostname, `${c.hostname}\n`);
        const net = await addPodNetwork(this.netOptions(c.podUid));
        ensurePodCgroup(this.cg, this.o.cluster, c.podUid, c.cpuLimitMillis, c.memoryLimitBytes);
        const rec: SandboxRecord = {
          podUid: c.podUid,
          namespace: c.namespace,
          name: c.name,
          netns: net.netns,
          ip: net.ip,
          createdAt: old?.createdAt ?? new Date().toISOString(),
          hostname: c.hostname,
        };
        writeFileAtomic(lay.state, JSON.stringify(rec));
        return statusOf(rec);
      } catch (e) {
        throw new RuntimeError(`${what}: ${(e as Error).message}`);
      }
    });
  }

  removeSandbox(podUid: string): Promise<void> {
    return this.serial(podUid, async () => {
      const lay = podLayout(this.o.nodeDir, podUid);
      const what = `removing the sandbox of pod ${podUid}`;
      try {
        // Every process in the pod's namespaces joined its cgroup: containers, execs, port-forwards.
        await removePodCgroup(this.cg, this.o.cluster, podUid);
        await this.reapShims(podUid);
        await removePodNetwork(this.netOptions(podUid));
        for (const mp of mountPoints()) if (mp === lay.dir || mp.startsWith(lay.dir + '/')) await run('umount', ['-l', mp]);
        rmSync(lay.dir, { recursive: true, force: true });
      } catch (e) {
        throw new RuntimeError(`${what}: ${(e as Error).message}`);
      }
    });
  }

  /** Waits for the pod's shims to record their exits; kills those that do not. */
  private async reapShims(podUid: string): Promise<void> {
    const shims = this.attempts(podUid).flatMap(({ lay }) => {
      const pid = Number(readText(join(lay.dir, 'shim.pid')));
      return pid > 0 && aliveWith(pid, lay.dir) ? [{ pid, dir: lay.dir }] : [];
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
    const exe = resolveExecutable(c.argv[0], c.env.PATH);
    if (!exe) {
      const detail = c.argv[0].includes('/') ? `stat ${c.argv[0]}: no such file or directory` : 'executable file not found in $PATH';
      throw new RuntimeError(`failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "${c.argv[0]}": ${detail}: unknown`);
    }
    const pod = podLayout(this.o.nodeDir, c.podUid);
    const a = attemptLayout(pod, c.name, c.attempt);
    if (existsSync(a.config)) {
      const st = this.containerStatus(c.podUid, c.name, c.attempt);
      if (st) return st;
    }
    this.pruneAttempts(c.podUid, c.name, c.attempt);
    try {
      this.stamper ??= ensureLogStamper(this.o.clusterDir);
      for (const d of [a.upper, a.work, a.rootfs]) mkdirSync(d, { recursive: true });
      mkdirSync(join(pod.logs, c.name), { recursive: true });
      writeFileSync(a.log, '', { flag: 'a' });
      const argv1 = c.argv[1]?.startsWith('/') ? [c.argv[1]] : [];
      let { env, mounts } = c;
      if (c.notifyReady) {
        mkdirSync(a.notifyDir, { recursive: true });
        mounts = [...mounts, { hostPath: a.notifyDir, containerPath: NOTIFY_MOUNT }];
        env = { ...env, [READY_FILE_ENV]: `${NOTIFY_MOUNT}/${READY_FILE_NAME}` };
      }
      const launch = launchArgv({
        netnsPath: netnsPath(sb.netns),
        procsFiles: procsFiles(this.cg, this.o.cluster, c.podUid),
        hostname: sb.hostname,
        attemptDir: a.dir,
        podDir: pod.dir,
        workingDir: c.workingDir,
        mounts,
        hostMounts: hostMountsFor([exe, ...argv1].map((p) => safeRealpath(p)), mountPoints()),
        env,
        argv: c.argv,
      });
      const rec: AttemptRecord = { podUid: c.podUid, name: c.name, attempt: c.attempt, argv: c.argv, startedAt: new Date().toISOString(), logPath: a.log };
      writeFileAtomic(a.config, JSON.stringify(rec));
      const shim = shimArgv({ attemptDir: a.dir, logPath: a.log, ...this.stamper, oomFile: oomEventsFile(this.cg, this.o.cluster, c.podUid), procsFiles: procsFiles(this.cg, this.o.cluster, c.podUid), launch });
      const child = spawn(shim[0], shim.slice(1), { detached: true, stdio: 'ignore', cwd: '/', env: { PATH: SHIM_PATH } });
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
      child.unref();
      writeFileSync(join(a.dir, 'shim.pid'), String(child.pid));
    } catch (e) {
      throw new RuntimeError(`${what}: ${(e as Error).message}`);
    }
    const started = await until(() => (existsSync(a.pid) || existsSync(a.exit) ? true : undefined), 10_000, START_POLL_MAX_MS);
    if (started && c.notifyReady) {
      // A program that never says READY=1 is reported started at the limit all the same, as
      // containerd would have at once: its probes then decide.
      const readyFile = join(a.notifyDir, READY_FILE_NAME);
      await until(() => (existsSync(readyFile) || existsSync(a.exit) ? true : undefined), NOTIFY_LIMIT_MS, START_POLL_MAX_MS);
    }
    const st = this.containerStatus(c.podUid, c.name, c.attempt);
    if (!started || !st) throw new RuntimeError(`${what}: the container shim did not start within 10s`);
    return st;
  }

  /** Keeps the previous attempt's record and log (what `logs --previous` and lastState need) and drops older ones. */
  private pruneAttempts(podUid: string, name: string, attempt: number): void {
    const pod = podLayout(this.o.nodeDir, podUid);
    for (const n of this.attemptNumbers(podUid, name)) {
      if (n >= attempt) continue;
      const old = attemptLayout(pod, name, n);
      if (n < attempt - 1) {
        rmSync(old.dir, { recursive: true, force: true });
        rmSync(old.log, { force: true });
      } else {
        // The writable layer of an exited container is not kept across restarts.
        for (const d of [old.upper, old.work, old.rootfs]) rmSync(d, { recursive: true, force: true });
      }
    }
  }

  containerStatus(podUid: string, name: string, attempt?: number): ContainerStatus | undefined {
    const n = attempt ?? this.attemptNumbers(podUid, name).at(-1);
    if (n === undefined) return undefined;
    const a = attemptLayout(podLayout(this.o.nodeDir, podUid), name, n);
    const rec = readJson<AttemptRecord>(a.config);
    if (!rec) return undefined;
    const base = { podUid, name, attempt: n, startedAt: rec.startedAt, logPath: a.log };
    const pidText = readText(a.pid);
    const pid = pidText && /^\d+\n$/.test(pidText) ? Number(pidText) : undefined;
    const exit = parseExitFile(readText(a.exit) ?? '');
    if (exit) {
      const reason = exit.oomKilled && exit.exitCode === 137 ? 'OOMKilled' : exit.exitCode === 0 ? 'Completed' : 'Error';
      return { ...base, state: 'exited', pid, exitCode: exit.exitCode, finishedAt: exit.finishedAt, reason };
    }
    const shimPid = Number(readText(join(a.dir, 'shim.pid')));
    if (shimPid > 0 && aliveWith(shimPid, a.dir)) return { ...base, state: 'running', pid };
    if (!existsSync(join(a.dir, 'shim.pid')) && Date.now() - Date.parse(rec.startedAt) < 10_000) return { ...base, state: 'running', pid };
    // The shim is gone without recording an exit (killed, or the machine restarted).
    let finishedAt = rec.startedAt;
    try {
      finishedAt = statSync(existsSync(a.pid) ? a.pid : a.config).mtime.toISOString();
    } catch {
      // Keep startedAt.
    }
    return { ...base, state: 'exited', pid, exitCode: LOST_EXIT_CODE, finishedAt, reason: 'Error' };
  }

  async stopContainer(podUid: string, name: string, graceSeconds: number): Promise<void> {
    const st = this.containerStatus(podUid, name);
    if (!st || st.state === 'exited') return;
    const exited = () => (this.containerStatus(podUid, name, st.attempt)?.state === 'exited' ? true : undefined);
    const pid = st.pid ?? (await until(() => this.containerStatus(podUid, name, st.attempt)?.pid, 5_000));
    if (pid === undefined) {
      if (exited()) return;
      throw new RuntimeError(`stopping container ${name} of pod ${podUid}: its process never started`);
    }
    signalGroup(pid, 'SIGTERM');
    if (await until(exited, Math.max(0, graceSeconds) * 1000)) return;
    signalGroup(pid, 'SIGKILL');
    if (await until(exited, 10_000)) return;
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
    return execInContainer({ pid: st.pid, procsFiles: procsFiles(this.cg, this.o.cluster, podUid), argv, tty: o.tty, stdin: o.stdin });
  }

  async portForward(podUid: string, port: number): Promise<Duplex> {
    const sb = this.sandbox(podUid);
    if (!sb) throw new RuntimeError(`port-forward to pod ${podUid}: the pod sandbox does not exist`);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RuntimeError(`port-forward to pod ${sb.namespace}/${sb.name}: invalid port ${port}`);
    return portForwardProcess({ procsFiles: procsFiles(this.cg, this.o.cluster, podUid), netnsPath: netnsPath(sb.netns), port });
  }

  stats(podUid: string): { cpuUsageNanos: number; memoryBytes: number } | undefined {
    if (!this.sandbox(podUid)) return undefined;
    return podCgroupStats(this.cg, this.o.cluster, podUid);
  }
}

function statusOf(r: SandboxRecord): SandboxStatus {
  return { podUid: r.podUid, namespace: r.namespace, name: r.name, netns: r.netns, ip: r.ip, createdAt: r.createdAt };
}

function safeRealpath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** Signals the container's process group (its pid leads it after setsid), or the pid before setsid ran. */
function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      // Already gone.
    }
  }
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')}: ${err.trim() || `exit ${code}`}`))));
  });
}

