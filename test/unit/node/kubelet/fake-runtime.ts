import { PassThrough, type Duplex } from 'node:stream';
import type { ContainerConfig, ContainerStatus, ExecProcess, PodRuntime, SandboxConfig, SandboxStatus } from '../../../../src/node/kubelet/cri.js';
import { SandboxNetworkError } from '../../../../src/node/kubelet/runtime/index.js';

/** An in-memory runtime: containers "run" until the test exits them. */
export class FakeRuntime implements PodRuntime {
  sandboxes = new Map<string, SandboxStatus & { config: SandboxConfig }>();
  attempts = new Map<string, ContainerStatus[]>();
  started: ContainerConfig[] = [];
  stopped: { name: string; grace: number }[] = [];
  removed: string[] = [];
  execResult = 0;
  /** Test hook: the next container start finds that the sandbox's network failed to attach. */
  attachFailure?: string;
  private nextIP = 2;
  constructor(private readonly now: () => number) {}

  private iso(): string {
    return new Date(this.now()).toISOString();
  }
  async runSandbox(c: SandboxConfig): Promise<SandboxStatus> {
    const old = this.sandboxes.get(c.podUid);
    if (old) return old;
    const s = { podUid: c.podUid, namespace: c.namespace, name: c.name, netns: `ns-${c.podUid}`, ip: `10.244.0.${this.nextIP++}`, createdAt: this.iso(), config: c };
    this.sandboxes.set(c.podUid, s);
    return s;
  }
  async removeSandbox(podUid: string): Promise<void> {
    this.sandboxes.delete(podUid);
    this.removed.push(podUid);
    for (const k of [...this.attempts.keys()]) if (k.startsWith(`${podUid}/`)) this.attempts.delete(k);
  }
  listSandboxes(): SandboxStatus[] {
    return [...this.sandboxes.values()];
  }
  async startContainer(c: ContainerConfig): Promise<ContainerStatus> {
    if (this.attachFailure) {
      const why = this.attachFailure;
      this.attachFailure = undefined;
      this.sandboxes.delete(c.podUid);
      throw new SandboxNetworkError(why);
    }
    this.started.push(c);
    const s: ContainerStatus = { podUid: c.podUid, name: c.name, attempt: c.attempt, state: 'running', startedAt: this.iso(), logPath: '/dev/null' };
    const key = `${c.podUid}/${c.name}`;
    this.attempts.set(key, [...(this.attempts.get(key) ?? []), s]);
    return { ...s };
  }
  /** Test hook: the latest attempt of a container exits. */
  exit(podUid: string, name: string, code: number): void {
    const list = this.attempts.get(`${podUid}/${name}`)!;
    const s = list[list.length - 1];
    s.state = 'exited';
    s.exitCode = code;
    s.finishedAt = this.iso();
    s.reason = code === 0 ? 'Completed' : 'Error';
  }
  async stopContainer(podUid: string, name: string, grace: number): Promise<void> {
    this.stopped.push({ name, grace });
    const list = this.attempts.get(`${podUid}/${name}`);
    const s = list?.[list.length - 1];
    if (s && s.state === 'running') this.exit(podUid, name, 137);
  }
  containerStatus(podUid: string, name: string, attempt?: number): ContainerStatus | undefined {
    const list = this.attempts.get(`${podUid}/${name}`) ?? [];
    const s = attempt === undefined ? list[list.length - 1] : list.find((x) => x.attempt === attempt);
    return s ? { ...s } : undefined;
  }
  async readLogs(): Promise<void> {}
  exec(): ExecProcess {
    const stdout = new PassThrough();
    stdout.end();
    return { stdin: null, stdout, stderr: null, resize: () => undefined, exit: Promise.resolve(this.execResult) };
  }
  async portForward(): Promise<Duplex> {
    return new PassThrough();
  }
  stats() {
    return { cpuUsageNanos: 0, memoryBytes: 0, containers: [] };
  }
}
