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
}

export function podLayout(nodeDir: string, podUid: string): PodLayout {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(podUid)) throw new Error(`invalid pod UID ${JSON.stringify(podUid)}`);
  const dir = join(nodeDir, 'pods', podUid);
  return {
    dir,
    state: join(dir, 'sandbox.json'),
    hosts: join(dir, 'hosts'),
    resolvConf: join(dir, 'resolv.conf'),
    hostname: join(dir, 'hostname'),
    containers: join(dir, 'containers'),
    logs: join(dir, 'logs'),
  };
}

/** One run of a container: its overlay layers, the shim's pid/exit files and its log. */
export interface AttemptLayout {
  dir: string;
  /** JSON AttemptRecord written by the agent before the shim starts. */
  config: string;
  /** The container's pid, written by the shim once it forked the container. */
  pid: string;
  /** "<exitCode> <finishedAt> <oomKillsBefore> <oomKillsAfter>\n", written by the shim after the exit. */
  exit: string;
  upper: string;
  work: string;
  rootfs: string;
  /** Mounted into a notifying container; its program writes its ready file here. */
  notifyDir: string;
  log: string;
}

export function containerDir(pod: PodLayout, name: string): string {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) throw new Error(`invalid container name ${JSON.stringify(name)}`);
  return join(pod.containers, name);
}

export function attemptLayout(pod: PodLayout, name: string, attempt: number): AttemptLayout {
  if (!Number.isInteger(attempt) || attempt < 0) throw new Error(`invalid attempt ${attempt} of container ${name}`);
  const dir = join(containerDir(pod, name), String(attempt));
  return {
    dir,
    config: join(dir, 'config.json'),
    pid: join(dir, 'pid'),
    exit: join(dir, 'exit'),
    upper: join(dir, 'upper'),
    work: join(dir, 'work'),
    rootfs: join(dir, 'rootfs'),
    notifyDir: join(dir, 'notify'),
    // Like the kubelet's /var/log/pods/<ns>_<pod>_<uid>/<container>/<attempt>.log.
    log: join(pod.logs, name, `${attempt}.log`),
  };
}
