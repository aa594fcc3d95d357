// Where a pod's sandbox and containers live on disk. Everything a restarted agent needs to find
// its pods again is under <nodeDir>/pods/<podUid>/, so the layout is the runtime's memory.
import { join } from 'node:path';

export interface PodLayout {
  dir: string;
  /** JSON SandboxRecord: written last by runSandbox, so its presence means "sandbox ready". */
  state: string;
  hosts: string;
  resolvConf: string;
  hostname: string;
  containers: string;
  logs: string;
  /** The pod's IPC and UTS namespaces, held by bind mounts of their nsfs files (no process needed). */
  ipcNs: string;
  utsNs: string;
  /** The pause container of a pod that shares its PID namespace: a bundle like a container attempt's. */
  pause: AttemptLayout;
}

/**
 * Layouts made lately, newest last: the status poll asks for every pod's each second. Frozen,
 * so a caller cannot change what the next one gets.
 */
const layouts = new Map<string, Readonly<PodLayout>>();
const LAYOUTS_KEPT = 512;

export function podLayout(nodeDir: string, podUid: string): PodLayout {
  const key = `${nodeDir}\0${podUid}`;
  let lay = layouts.get(key);
  if (lay) {
    layouts.delete(key);
  } else {
    lay = makePodLayout(nodeDir, podUid);
    if (layouts.size >= LAYOUTS_KEPT) layouts.delete(layouts.keys().next().value!);
  }
  layouts.set(key, lay);
  return lay;
}

function makePodLayout(nodeDir: string, podUid: string): PodLayout {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(podUid)) throw new Error(`invalid pod UID ${JSON.stringify(podUid)}`);
  const dir = join(nodeDir, 'pods', podUid);
  return Object.freeze({
    dir,
    state: join(dir, 'sandbox.json'),
    hosts: join(dir, 'hosts'),
    resolvConf: join(dir, 'resolv.conf'),
    hostname: join(dir, 'hostname'),
    containers: join(dir, 'containers'),
    logs: join(dir, 'logs'),
    ipcNs: join(dir, 'ns', 'ipc'),
    utsNs: join(dir, 'ns', 'uts'),
    pause: Object.freeze(bundleLayout(join(dir, 'pause'), join(dir, 'pause', 'log'))),
  });
}

/** One run of a container: its OCI bundle (config.json, the overlay root), the shim's files and its log. */
export interface AttemptLayout {
  dir: string;
  /** JSON AttemptRecord written by the agent before the shim starts. */
  record: string;
  /** The OCI runtime spec runc reads from the bundle (the attempt dir). */
  spec: string;
  /** The container's pid, written by the shim's supervisor once runc started the container. */
  pid: string;
  /** "<exitCode> <finishedAt> <oomKillsBefore> <oomKillsAfter>\n", written by the shim after the exit. */
  exit: string;
  /** runc's own messages (JSON lines): why a container could not be created. */
  runcLog: string;
  /**
   * Present while the pod's network is being attached: the shim creates the container and starts
   * it once the runtime removes this file, unless the runtime wrote `abort` first.
   */
  hold: string;
  abort: string;
  upper: string;
  work: string;
  rootfs: string;
  /** Mounted into a notifying container; its program writes its ready file here. */
  notifyDir: string;
  log: string;
}

function bundleLayout(dir: string, log: string): AttemptLayout {
  return {
    dir,
    record: join(dir, 'attempt.json'),
    spec: join(dir, 'config.json'),
    pid: join(dir, 'pid'),
    exit: join(dir, 'exit'),
    runcLog: join(dir, 'runc.log'),
    hold: join(dir, 'hold'),
    abort: join(dir, 'abort'),
    upper: join(dir, 'upper'),
    work: join(dir, 'work'),
    rootfs: join(dir, 'rootfs'),
    notifyDir: join(dir, 'notify'),
    log,
  };
}

export function containerDir(pod: PodLayout, name: string): string {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) throw new Error(`invalid container name ${JSON.stringify(name)}`);
  return join(pod.containers, name);
}

export function attemptLayout(pod: PodLayout, name: string, attempt: number): AttemptLayout {
  if (!Number.isInteger(attempt) || attempt < 0) throw new Error(`invalid attempt ${attempt} of container ${name}`);
  // Like the kubelet's /var/log/pods/<ns>_<pod>_<uid>/<container>/<attempt>.log.
  return bundleLayout(join(containerDir(pod, name), String(attempt)), join(pod.logs, name, `${attempt}.log`));
}

/** runc's name for a container attempt (and its cgroup's): unique on the node. */
export function containerId(podUid: string, name: string, attempt: number): string {
  return `${podUid}-${name}-${attempt}`;
}

export function pauseId(podUid: string): string {
  return `${podUid}-pause`;
}
