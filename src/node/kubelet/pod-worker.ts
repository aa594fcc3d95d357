import type { IPodStatus } from 'kubernetes-models/v1/PodStatus';
import { join } from 'node:path';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import type { KObject } from '../../api/types.js';
import { parseQuantity } from '../../api/validation/quantity.js';
import type { Recorder } from '../../client/events.js';
import { Backoff, formatDuration } from './backoff.js';
import type { Clock, ContainerStatus, EnsureResult, ImageRoot, ImageService, PodRuntime, SandboxStatus } from './cri.js';
import { hostsFile, nodeHostsFile, podHostname, podResolvConf, renderResolvConf, type ResolvConf } from './dns.js';
import { ContainerConfigError, expandCommandAndArgs, makeEnvironment, serviceEnvironment, type ObjectSource } from './env.js';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { NodeAllocatable } from './fieldpath.js';
import { runHandler, type LifecycleHandler } from './hooks.js';
import { msg, podRef } from './messages.js';
import { execProbe, httpProbe, PROBE_NAMES, ProbeTracker, resolvePort, tcpProbe, type Probe, type ProbeOutcome, type ProbeType } from './probes.js';
import { buildPodStatus, type ContainerView } from './status.js';
import { containerMounts, setUpVolumes, VolumeError } from './volumes.js';
import { containerSecurity, type ContainerFields, type RuntimeSecurity } from './security-context.js';
import type { ContainerResources } from './runtime/oci/resources.js';
import { podLayout } from './runtime/layout.js';
import { SandboxNetworkError } from './runtime/index.js';
import { podSysctls, sysctlAdmission } from './sysctls.js';
import type { Logger } from '../../log.js';

// One worker per pod, as upstream's pod workers + kuberuntime SyncPod: a level-triggered
// sync that brings the sandbox and containers to what the spec asks for, then reports status.

export interface PodStatusWriter {
  /** Writes status for the pod (by uid); resolves to the stored pod, or undefined when it is gone. */
  writeStatus(pod: KObject, status: Record<string, unknown>): Promise<KObject | undefined>;
  /** Deletes the pod object with grace 0 and a uid precondition. */
  deletePod(pod: KObject): Promise<void>;
}

export interface WorkerEnv {
  runtime: PodRuntime;
  images: ImageService;
  recorder: Recorder;
  clock: Clock;
  objects: ObjectSource;
  services: () => KObject[];
  statusWriter: PodStatusWriter;
  nodeName: string;
  hostIP: string;
  nodeDir: string;
  alloc: NodeAllocatable;
  hostResolv: ResolvConf;
  crashBackoff: Backoff;
  imageBackoff: Backoff;
  log: Logger;
  /** The mesh's part in a sandbox's network, as istio-cni's plugin: a meshed pod is captured before its containers start. */
  mesh?: PodMeshEnrollment;
}

export interface PodMeshEnrollment {
  enroll(pod: KObject, ip: string): Promise<void>;
  release(podUid: string): void;
}

type Spec = IPodSpec;
type SpecContainer = IContainer;

interface ContainerState extends ContainerView {
  spec: SpecContainer;
  init: boolean;
  probes: Partial<Record<ProbeType, ProbeTracker>>;
  probeTimers: NodeJS.Timeout[];
  /** The attempt the probe trackers belong to. */
  probedAttempt?: number;
  /** A start is awaited: the runtime's view of this container is not the kubelet's yet. */
  starting?: boolean;
  /** Runs the readiness probe once now, outside its period (upstream's manualTriggerCh). */
  probeReadinessNow?: () => void;
  /** A kill requested by a failed liveness/startup probe or a changed spec. */
  killRequested?: boolean;
  /** When a start failed (no runtime record): the start of its back-off. */
  failedStartAt?: number;
  /** The finishedAt whose back-off has been announced with an event. */
  announcedBackoff?: string;
  stopping?: boolean;
  /** The image resolution started beside the sandbox, for the first start (see prefetchImages). */
  prefetched?: { image: string; result: Promise<EnsureResult>; root?: ImageRoot };
}

const VOLUME_REFRESH_MS = 30_000;
const POLL_MS = 1_000;
const MIN_GRACE_S = 2;

export class PodWorker {
  pod: KObject;
  readonly uid: string;
  private sandbox?: SandboxStatus;
  private states = new Map<string, ContainerState>();
  private running = false;
  private again = false;
  private stopped = false;
  private wakeTimer?: NodeJS.Timeout;
  private pollTimer?: NodeJS.Timeout;
  private lastStatus = '';
  private lastVolumeRefresh = 0;
  private terminating?: Promise<void>;
  /**
   * The Created and Started events of containers this sync started, recorded once the sync has
   * written the status that shows them running (or before any later event of the pod): the
   * status is what a pod's start waits for, and the API server takes requests in turn. Upstream's
   * kubelet sends events from a queue of their own, in no set order with its status writes.
   */
  private startEvents: Array<[reason: string, message: string]> = [];
  /** Resolves when the worker has finished (pod deleted and cleaned up). */
  readonly done: Promise<void>;
  private resolveDone!: () => void;

  constructor(
    pod: KObject,
    private readonly env: WorkerEnv,
    adopted?: SandboxStatus,
  ) {
    this.pod = pod;
    this.uid = pod.metadata.uid ?? '';
    this.sandbox = adopted;
    this.done = new Promise((r) => (this.resolveDone = r));
    const spec = this.spec();
    for (const c of spec.initContainers ?? []) this.states.set(c.name, this.newState(c, true));
    for (const c of spec.containers ?? []) this.states.set(c.name, this.newState(c, false));
    if (adopted) this.refreshFromRuntime();
  }

  private event(type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.sendStartEvents();
    this.env.recorder.event(this.pod, type, reason, message);
  }

  private sendStartEvents(): void {
    for (const [reason, message] of this.startEvents.splice(0)) this.env.recorder.event(this.pod, 'Normal', reason, message);
  }

  private newState(c: SpecContainer, init: boolean): ContainerState {
    return { name: c.name, image: c.image ?? '', spec: c, init, ready: false, started: false, created: false, sidecar: init && c.restartPolicy === 'Always', probes: {}, probeTimers: [] };
  }

  private spec(): Spec {
    return (this.pod.spec ?? {}) as Spec;
  }

  get podDir(): string {
    return join(this.env.nodeDir, 'pods', this.uid);
  }

  private get ref(): string {
    return podRef(this.pod.metadata.name ?? '', this.pod.metadata.namespace ?? '', this.uid);
  }

  start(): void {
    this.pollTimer = setInterval(() => {
      if (this.refreshFromRuntime()) this.kick();
    }, POLL_MS);
    this.pollTimer.unref();
    this.kick();
  }

  /** A newer version of the pod object arrived. */
  update(pod: KObject): void {
    if (pod.metadata.uid !== this.uid) return;
    this.pod = pod;
    for (const c of [...(this.spec().initContainers ?? []), ...(this.spec().containers ?? [])]) {
      const st = this.states.get(c.name);
      if (!st) continue;
      // An image change restarts the container, as upstream's computePodActions.
      if (c.image !== st.spec.image && st.current?.state === 'running' && !st.killRequested) {
        st.killRequested = true;
        this.event('Normal', 'Killing', msg.definitionChanged(c.name));
      }
      st.spec = c;
      st.image = c.image ?? '';
    }
    this.kick();
  }

  kick(): void {
    if (this.stopped) return;
    void this.sync();
  }

  private wakeAt(t: number): void {
    const delay = Math.max(0, t - this.env.clock.now());
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = setTimeout(() => this.kick(), delay + 5);
    this.wakeTimer.unref();
  }

  private async sync(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      do {
        this.again = false;
        try {
          await this.syncOnce();
        } catch (e) {
          this.env.log('error', 'syncing pod', { pod: this.ref, error: (e as Error).message });
          this.wakeAt(this.env.clock.now() + 2_000);
        } finally {
          this.sendStartEvents();
        }
      } while (this.again && !this.stopped);
    } finally {
      this.running = false;
    }
  }

  /** Re-reads container state from the runtime; true when anything changed. */
  private refreshFromRuntime(): boolean {
    let changed = false;
    for (const st of this.states.values()) {
      if (st.starting) continue;
      const cur = this.env.runtime.containerStatus(this.uid, st.name);
      const before = st.current;
      if (!cur) continue;
      if (!before || before.attempt !== cur.attempt || before.state !== cur.state) {
        changed = true;
        st.current = cur;
        st.created = true;
        if (cur.attempt > 0 && (!st.previous || st.previous.attempt !== cur.attempt - 1)) {
          st.previous = this.env.runtime.containerStatus(this.uid, st.name, cur.attempt - 1);
        }
        if (cur.state === 'exited') {
          st.ready = false;
          st.started = false;
          this.stopProbes(st);
        } else if (cur.state === 'running') this.ensureProbes(st);
      }
    }
    return changed;
  }

  private async syncOnce(): Promise<void> {
    if (this.stopped) return;
    if (this.pod.metadata.deletionTimestamp) {
      await this.terminate();
      return;
    }
    const oldPhase = (this.pod.status as IPodStatus | undefined)?.phase;
    if (oldPhase === 'Succeeded' || oldPhase === 'Failed') {
      // A finished pod keeps its sandbox (and logs) until it is deleted; nothing runs.
      await this.killAll('terminal');
      await this.publishStatus();
      return;
    }
    // Admission, as the kubelet's HandlePodAdditions does it: only for a pod it has not started.
    const rejected = !this.sandbox && !(this.pod.status as { startTime?: string } | undefined)?.startTime ? sysctlAdmission(this.spec()) : undefined;
    if (rejected) {
      this.event('Warning', rejected.reason, rejected.message);
      await this.publishStatus(undefined, { reason: rejected.reason, message: `${REJECTED}${rejected.message}` });
      return;
    }
    if (!(await this.ensureSandbox())) {
      await this.publishStatus();
      return;
    }
    this.refreshFromRuntime();
    await this.refreshVolumes();

    const spec = this.spec();
    const policy = spec.restartPolicy ?? 'Always';
    let initDone = true;
    for (const c of spec.initContainers ?? []) {
      const st = this.states.get(c.name)!;
      if (st.sidecar) {
        await this.syncContainer(st, 'Always');
        if (!(st.current?.state === 'running' && st.started)) {
          initDone = false;
          break;
        }
        continue;
      }
      const cur = st.current;
      if (cur?.state === 'exited' && cur.exitCode === 0) continue;
      initDone = false;
      if (cur?.state === 'exited' && policy === 'Never') break;
      await this.syncContainer(st, policy === 'Never' ? 'Never' : 'OnFailure');
      break;
    }
    if (initDone) {
      for (const c of spec.containers ?? []) await this.syncContainer(this.states.get(c.name)!, policy);
    }
    const status = await this.publishStatus();
    const phase = status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') await this.killAll('terminal');
  }

  private async ensureSandbox(): Promise<boolean> {
    if (this.sandbox) return true;
    // The volumes and the sandbox do not need each other, so they are made side by side; a
    // sandbox made for a pod whose volumes then fail is kept for the next try (runSandbox
    // returns it as it is) and goes with the pod.
    const volumes = setUpVolumes(this.pod, this.podDir, this.env.objects, this.env.alloc).then(
      () => undefined,
      (e: unknown) => e,
    );
    const sandbox = this.runSandbox().then(
      (sb) => ({ sb }),
      (error: unknown) => ({ error }),
    );
    this.prefetchImages();
    const [volumeError, made] = await Promise.all([volumes, sandbox]);
    if (volumeError !== undefined) {
      if (!(volumeError instanceof VolumeError)) throw volumeError;
      this.event('Warning', 'FailedMount', msg.failedMount(volumeError.volume, volumeError.message));
      this.wakeAt(this.env.clock.now() + 2_000);
      return false;
    }
    this.lastVolumeRefresh = this.env.clock.now();
    if ('error' in made) {
      this.event('Warning', 'FailedCreatePodSandBox', msg.failedSandbox((made.error as Error).message));
      this.wakeAt(this.env.clock.now() + 5_000);
      return false;
    }
    this.sandbox = made.sb;
    return true;
  }

  /**
   * Starts resolving (and pulling, per policy) the images of the containers that start first,
   * the first init container or else every container, while the sandbox is made: the kubelet
   * pulls only once the sandbox is up, but the two do not depend on each other, and a pull, or
   * finding a registry unreachable, takes about as long as the sandbox, and so does assembling
   * the image's root the first time. The Pulling event can so come before the sandbox is
   * ready; the container is created only after it, as upstream.
   */
  private prefetchImages(): void {
    const spec = this.spec();
    const first = spec.initContainers?.length ? [spec.initContainers[0]] : (spec.containers ?? []);
    for (const c of first) {
      const st = this.states.get(c.name);
      const image = c.image ?? '';
      if (!st || st.current || st.prefetched || this.env.imageBackoff.isInBackOffSinceUpdate(`${this.uid}/${image}`)) continue;
      const prefetched: NonNullable<ContainerState['prefetched']> = {
        image,
        result: this.resolveImage(c).then((r) => {
          // The image's root is assembled (once per image) meanwhile too, and kept for
          // startContainer; a failure is reported when startContainer asks again.
          if (r.ok) {
            try {
              prefetched.root = this.env.images.containerImage(r.image);
            } catch {
              // reported by startContainer
            }
          }
          return r;
        }),
      };
      // Awaited by startContainer; a failure is reported there, not as an unhandled rejection.
      prefetched.result.catch(() => undefined);
      st.prefetched = prefetched;
    }
  }

  private async resolveImage(c: SpecContainer): Promise<EnsureResult> {
    const image = c.image ?? '';
    return this.env.images.ensureImage({
      image,
      pullPolicy: c.imagePullPolicy,
      pullSecrets: await this.pullSecrets(),
      onPulling: () => this.event('Normal', 'Pulling', msg.pulling(image)),
    });
  }

  private async runSandbox(): Promise<SandboxStatus> {
    const spec = this.spec();
    // A hostNetwork pod has the node's hostname and a copy of its hosts file (kubelet
    // GeneratePodHostNameAndDomain, makeHostsMount); others their own.
    const hostNet = spec.hostNetwork === true;
    const { hostname, domain } = hostNet ? { hostname: this.env.nodeName, domain: undefined } : podHostname(this.pod);
    const hosts = (podIPs: string[]) => (hostNet ? nodeHostsFile(spec.hostAliases) : hostsFile({ podIPs, hostname, domain, hostAliases: spec.hostAliases }));
    const resolv = renderResolvConf(
      podResolvConf({ namespace: this.pod.metadata.namespace ?? 'default', dnsPolicy: spec.dnsPolicy, hostNetwork: spec.hostNetwork, dnsConfig: spec.dnsConfig as never, host: this.env.hostResolv }),
    );
    const sb = await this.env.runtime.runSandbox({
      podUid: this.uid,
      namespace: this.pod.metadata.namespace ?? 'default',
      name: this.pod.metadata.name ?? '',
      hostname,
      resolvConf: resolv,
      ...podLimits(spec),
      cpuRequestMillis: podCpuRequestMillis(spec),
      hostNetwork: hostNet,
      hostIPC: spec.hostIPC === true,
      hostPID: spec.hostPID === true,
      shareProcessNamespace: spec.shareProcessNamespace === true,
      sysctls: podSysctls(spec),
      hostsFile: hosts([]),
    });
    // The pod IP is only known once the network is up: the hosts file the runtime keeps for
    // the pod (bind-mounted into each container at start) gets the pod's own line now.
    if (sb.ip && !hostNet) {
      const path = podLayout(this.env.nodeDir, this.uid).hosts;
      if (existsSync(path)) writeFileSync(path, hosts([sb.ip]));
      await this.env.mesh?.enroll(this.pod, sb.ip);
    }
    return sb;
  }

  private async refreshVolumes(): Promise<void> {
    const now = this.env.clock.now();
    if (now - this.lastVolumeRefresh < VOLUME_REFRESH_MS) {
      this.wakeAt(this.lastVolumeRefresh + VOLUME_REFRESH_MS);
      return;
    }
    this.lastVolumeRefresh = now;
    try {
      await setUpVolumes(this.pod, this.podDir, this.env.objects, this.env.alloc);
    } catch (e) {
      // Running containers keep the content they have; upstream logs and retries too.
      this.env.log('info', 'refreshing volumes', { pod: this.ref, error: (e as Error).message });
    }
    this.wakeAt(now + VOLUME_REFRESH_MS);
  }

  /** Brings one container towards running, restarting it per policy with back-off. */
  private async syncContainer(st: ContainerState, policy: string): Promise<void> {
    const cur = st.current;
    if (cur?.state === 'running') {
      if (!st.killRequested) return;
      st.killRequested = false;
      await this.stopOne(st, this.graceSeconds(), false);
      this.refreshFromRuntime();
      if (policy === 'Never') return;
      // fall through to restart the killed container below
    }
    const now = this.env.clock.now();
    const key = `${this.uid}/${st.name}`;
    const latest = st.current;
    if (latest?.state === 'exited') {
      const restart = policy === 'Always' || (policy === 'OnFailure' && latest.exitCode !== 0);
      if (!restart) {
        st.waiting = undefined;
        return;
      }
      const finishedAt = Date.parse(latest.finishedAt ?? latest.startedAt);
      if (this.env.crashBackoff.isInBackOffSince(key, finishedAt)) {
        this.enterCrashLoop(st, key, latest.finishedAt ?? latest.startedAt, finishedAt);
        return;
      }
      this.env.crashBackoff.next(key, finishedAt);
      await this.startContainer(st, latest.attempt + 1);
      return;
    }
    if (latest === undefined && st.failedStartAt !== undefined) {
      if (this.env.crashBackoff.isInBackOffSince(key, st.failedStartAt)) {
        this.enterCrashLoop(st, key, String(st.failedStartAt), st.failedStartAt);
        return;
      }
    }
    void now;
    await this.startContainer(st, latest ? latest.attempt + 1 : 0);
  }

  /** The `.dockerconfigjson` of each imagePullSecret that exists, warning about those that do not (upstream getPullSecretsForPod). */
  private async pullSecrets(): Promise<string[]> {
    const ns = this.pod.metadata.namespace ?? 'default';
    const out: string[] = [];
    const missing: string[] = [];
    for (const ref of this.spec().imagePullSecrets ?? []) {
      if (!ref.name) continue;
      const secret = await this.env.objects.secret(ns, ref.name).catch(() => undefined);
      const data = (secret as { data?: Record<string, string> } | undefined)?.data;
      const type = (secret as { type?: string } | undefined)?.type;
      if (!secret || !data) {
        missing.push(ref.name);
        continue;
      }
      if (type === 'kubernetes.io/dockerconfigjson' && data['.dockerconfigjson']) out.push(Buffer.from(data['.dockerconfigjson'], 'base64').toString('utf8'));
      // The legacy ~/.dockercfg format is the `auths` map alone.
      else if (type === 'kubernetes.io/dockercfg' && data['.dockercfg']) out.push(`{"auths":${Buffer.from(data['.dockercfg'], 'base64').toString('utf8')}}`);
    }
    if (missing.length) this.event('Warning', 'FailedToRetrieveImagePullSecret', msg.missingPullSecrets(missing));
    return out;
  }

  private enterCrashLoop(st: ContainerState, key: string, marker: string, since: number): void {
    const delay = this.env.crashBackoff.get(key);
    st.waiting = { reason: 'CrashLoopBackOff', message: msg.crashLoop(formatDuration(delay), st.name, this.ref) };
    if (st.announcedBackoff !== marker) {
      st.announcedBackoff = marker;
      this.event('Warning', 'BackOff', msg.backOffRestart(st.name, this.ref));
    }
    this.wakeAt(since + delay);
  }

  private async startContainer(st: ContainerState, attempt: number): Promise<void> {
    const c = st.spec;
    const image = c.image ?? '';
    const imgKey = `${this.uid}/${image}`;
    const now = this.env.clock.now();
    if (this.env.imageBackoff.isInBackOffSinceUpdate(imgKey)) {
      if (st.waiting?.reason !== 'ImagePullBackOff') {
        this.event('Normal', 'BackOff', msg.backOffPull(image));
        this.event('Warning', 'Failed', msg.errImagePullBackOff);
      }
      st.waiting = { reason: 'ImagePullBackOff', message: msg.backOffPull(image) };
      this.wakeAt(now + 1_000);
      return;
    }
    const prefetched = st.prefetched;
    st.prefetched = undefined;
    const resolved = await (prefetched?.image === image ? prefetched.result : this.resolveImage(c));
    if (!resolved.ok && resolved.reason === 'InvalidImageName') {
      // A malformed reference is not retried with back-off; it waits for a spec change.
      if (st.waiting?.reason !== 'InvalidImageName') {
        this.event('Warning', 'InspectFailed', msg.invalidImage(image, resolved.message));
        this.event('Warning', 'Failed', msg.failed('InvalidImageName'));
      }
      st.waiting = { reason: 'InvalidImageName', message: msg.invalidImage(image, resolved.message) };
      return;
    }
    if (!resolved.ok && resolved.reason === 'ErrImageNeverPull') {
      if (st.waiting?.reason !== 'ErrImageNeverPull') {
        this.event('Warning', 'ErrImageNeverPull', resolved.message);
        this.event('Warning', 'Failed', msg.failed('ErrImageNeverPull'));
      }
      st.waiting = { reason: 'ErrImageNeverPull', message: resolved.message };
      this.wakeAt(now + 10_000);
      return;
    }
    if (!resolved.ok) {
      this.env.imageBackoff.next(imgKey, now);
      st.waiting = { reason: 'ErrImagePull', message: resolved.message };
      this.event('Warning', 'Failed', msg.failedPull(image, resolved.message));
      this.event('Warning', 'Failed', msg.errImagePull);
      this.wakeAt(now + 1_000);
      return;
    }
    const stored = resolved.image.stored;
    st.imageID = stored ? `${stored.reference.replace(/[:@][^/]*$/, '')}@${stored.digest}` : undefined;
    if (resolved.standIn) this.event('Normal', 'Pulled', msg.standIn(image, resolved.standIn.kind, resolved.standIn.cause));
    else if (resolved.pulled) this.event('Normal', 'Pulled', msg.pulledNew(image, resolved.pulled.pullMs, resolved.pulled.totalMs, resolved.pulled.size));
    else this.event('Normal', 'Pulled', msg.pulled(image));

    let env: Map<string, string>;
    try {
      const spec = this.spec();
      const serviceEnv = serviceEnvironment(this.pod.metadata.namespace ?? 'default', spec.enableServiceLinks !== false, this.env.services() as never);
      env = await makeEnvironment({ pod: this.podWithIPs(), container: c, source: this.env.objects, serviceEnv, alloc: this.env.alloc });
    } catch (e) {
      if (!(e instanceof ContainerConfigError)) throw e;
      st.waiting = { reason: 'CreateContainerConfigError', message: e.message };
      this.event('Warning', 'Failed', msg.failed(e.message));
      this.wakeAt(now + 2_000);
      return;
    }
    const { command, args } = expandCommandAndArgs(c, env);
    const argv = this.env.images.containerArgv(resolved.image, command, args);
    if (!argv.length) {
      const m = `failed to generate container "${c.name}" spec: no command specified`;
      st.waiting = { reason: 'CreateContainerError', message: m };
      this.event('Warning', 'Failed', msg.failed(m));
      this.wakeAt(now + 10_000);
      return;
    }
    // The image's variables, then the container's (the runtime adds PATH when neither has it, and HOSTNAME).
    const finalEnv: Record<string, string> = {};
    for (const [k, v] of Object.entries(resolved.image.env ?? {})) finalEnv[k] = v;
    for (const [k, v] of env) finalEnv[k] = v;
    const mounts = containerMounts(this.podDir, (this.spec().volumes ?? []) as never, c);
    let root: ImageRoot;
    let security: RuntimeSecurity;
    try {
      root = (prefetched?.image === image && prefetched.root) || this.env.images.containerImage(resolved.image);
      security = containerSecurity(this.pod, c as ContainerFields, root.identity, { seccompRoot: join(this.env.nodeDir, 'seccomp') });
    } catch (e) {
      // runAsNonRoot is the kubelet's to refuse; the rest containerd would refuse while creating.
      const reason = e instanceof ContainerConfigError ? 'CreateContainerConfigError' : 'CreateContainerError';
      const message = (e as Error).message;
      st.waiting = { reason, message };
      this.event('Warning', 'Failed', msg.failed(message));
      this.wakeAt(now + (reason === 'CreateContainerConfigError' ? 2_000 : 10_000));
      return;
    }
    st.starting = true;
    try {
      const status = await this.env.runtime.startContainer({
        podUid: this.uid,
        name: c.name,
        attempt,
        argv,
        env: finalEnv,
        workingDir: c.workingDir || resolved.image.workingDir,
        mounts,
        tty: !!c.tty,
        stdin: !!c.stdin,
        notifyReady: resolved.image.notifyReady,
        image: { rootfs: root.rootfs, mounts: root.mounts },
        user: security.user,
        security: security.security,
        resources: containerResources(c),
      });
      if (st.current?.state === 'exited') st.previous = st.current;
      st.current = status;
      st.created = true;
      st.waiting = undefined;
      st.failedStartAt = undefined;
      st.ready = false;
      st.started = false;
    } catch (e) {
      const message = (e as Error).message;
      if (e instanceof SandboxNetworkError) {
        // The sandbox was handed out while its network was attached, and that failed: made again.
        this.sandbox = undefined;
        this.event('Warning', 'FailedCreatePodSandBox', msg.failedSandbox(message));
        this.wakeAt(now + 5_000);
        return;
      }
      st.waiting = { reason: 'RunContainerError', message };
      st.failedStartAt = now;
      this.env.crashBackoff.next(`${this.uid}/${st.name}`, now);
      this.event('Warning', 'Failed', msg.failed(message));
      this.wakeAt(now + 1_000);
      return;
    } finally {
      st.starting = false;
    }
    this.startEvents.push(['Created', msg.created(c.name)], ['Started', msg.started(c.name)]);
    this.ensureProbes(st);
    if (c.lifecycle?.postStart) void this.postStart(st, c.lifecycle.postStart);
  }

  private async postStart(st: ContainerState, h: LifecycleHandler): Promise<void> {
    const err = await runHandler({ runtime: this.env.runtime, podUid: this.uid, container: st.spec, podIP: this.sandbox?.ip ?? '', handler: h, timeoutMs: this.graceSeconds() * 1000 });
    if (!err) return;
    this.event('Warning', 'FailedPostStartHook', err);
    st.killRequested = true;
    this.kick();
  }

  /** The pod with the IPs the status will carry, for the downward API before the status write. */
  private podWithIPs(): KObject {
    const status = { ...((this.pod.status as Record<string, unknown>) ?? {}), hostIP: this.env.hostIP, hostIPs: [{ ip: this.env.hostIP }] } as Record<string, unknown>;
    if (this.sandbox?.ip) {
      status.podIP = this.sandbox.ip;
      status.podIPs = [{ ip: this.sandbox.ip }];
    }
    return { ...this.pod, status };
  }

  private graceSeconds(): number {
    const g = this.pod.metadata.deletionGracePeriodSeconds ?? this.spec().terminationGracePeriodSeconds ?? 30;
    return Math.max(0, g);
  }

  // ---- probes ----

  private ensureProbes(st: ContainerState): void {
    const cur = st.current;
    if (!cur || cur.state !== 'running' || st.probedAttempt === cur.attempt) return;
    this.stopProbes(st);
    st.probedAttempt = cur.attempt;
    const c = st.spec;
    const defs: [ProbeType, Probe | undefined][] = [
      ['startup', c.startupProbe],
      ['liveness', c.livenessProbe],
      ['readiness', c.readinessProbe],
    ];
    st.probes = {};
    st.probeReadinessNow = undefined;
    st.started = !c.startupProbe;
    st.ready = st.started && !c.readinessProbe && !(st.init && !st.sidecar);
    for (const [type, p] of defs) {
      if (!p) continue;
      if (st.init && !st.sidecar) continue;
      const tracker = new ProbeTracker(type, p);
      st.probes[type] = tracker;
      const period = Math.max(1, p.periodSeconds ?? 10) * 1000;
      const attempt = cur.attempt;
      const tick = async () => {
        if (this.stopped || st.probedAttempt !== attempt) return;
        await this.runProbe(st, type, tracker, p);
        if (this.stopped || st.probedAttempt !== attempt) return;
        const t = setTimeout(tick, period);
        t.unref();
        st.probeTimers.push(t);
        if (st.probeTimers.length > 8) st.probeTimers.splice(0, st.probeTimers.length - 8);
      };
      const first = setTimeout(tick, 0);
      first.unref();
      st.probeTimers.push(first);
      if (type === 'readiness') {
        st.probeReadinessNow = () => {
          if (!this.stopped && st.probedAttempt === attempt) void this.runProbe(st, type, tracker, p);
        };
      }
    }
    this.kick();
  }

  private stopProbes(st: ContainerState): void {
    for (const t of st.probeTimers) clearTimeout(t);
    st.probeTimers = [];
    st.probedAttempt = undefined;
  }

  private async runProbe(st: ContainerState, type: ProbeType, tracker: ProbeTracker, p: Probe): Promise<void> {
    const cur = st.current;
    if (!cur || cur.state !== 'running') return;
    const runningFor = this.env.clock.now() - Date.parse(cur.startedAt);
    if (!tracker.shouldProbe(runningFor, st.started)) return;
    const outcome = await this.probeOnce(st, p);
    if (st.probedAttempt !== cur.attempt || this.stopped) return;
    if (outcome.result === 'failure') {
      this.event('Warning', 'Unhealthy', `${PROBE_NAMES[type]} probe failed: ${outcome.output}`);
    }
    const changed = tracker.record(outcome.result);
    if (!changed) return;
    applyProbeResult(st, type, tracker, (probe) => this.event('Normal', 'Killing', msg.probeKill(st.name, probe)));
    // Upstream's prober manager triggers a readiness run as soon as the container counts as
    // started and is not ready yet, instead of leaving it to the next period.
    if (type === 'startup' && st.started && !st.ready) st.probeReadinessNow?.();
    this.kick();
  }

  private async probeOnce(st: ContainerState, p: Probe): Promise<ProbeOutcome> {
    const timeoutMs = Math.max(1, p.timeoutSeconds ?? 1) * 1000;
    const ip = this.sandbox?.ip ?? '';
    try {
      if (p.exec?.command) {
        const proc = this.env.runtime.exec(this.uid, st.name, p.exec.command, { tty: false, stdin: false });
        return await execProbe(proc, p.exec.command, timeoutMs);
      }
      if (p.httpGet) {
        const port = resolvePort(p.httpGet.port, st.spec.ports);
        if (port instanceof Error) return { result: 'unknown', output: port.message };
        return await httpProbe({ host: p.httpGet.host || ip, port, path: p.httpGet.path, headers: p.httpGet.httpHeaders, timeoutMs, scheme: p.httpGet.scheme });
      }
      if (p.tcpSocket) {
        const port = resolvePort(p.tcpSocket.port, st.spec.ports);
        if (port instanceof Error) return { result: 'unknown', output: port.message };
        return await tcpProbe({ host: p.tcpSocket.host || ip, port, timeoutMs });
      }
      if (p.grpc) return await tcpProbe({ host: ip, port: p.grpc.port, timeoutMs });
    } catch (e) {
      return { result: 'unknown', output: (e as Error).message };
    }
    return { result: 'unknown', output: 'missing probe handler' };
  }

  // ---- stopping ----

  private async stopOne(st: ContainerState, graceSeconds: number, announce: boolean): Promise<void> {
    if (st.stopping || st.current?.state !== 'running') return;
    st.stopping = true;
    this.stopProbes(st);
    try {
      if (announce) this.event('Normal', 'Killing', msg.stopping(st.name));
      const started = this.env.clock.now();
      const preStop = st.spec.lifecycle?.preStop;
      if (preStop && graceSeconds > 0) {
        const err = await runHandler({ runtime: this.env.runtime, podUid: this.uid, container: st.spec, podIP: this.sandbox?.ip ?? '', handler: preStop, timeoutMs: graceSeconds * 1000 });
        if (err) this.event('Warning', 'FailedPreStopHook', err);
        // The hook's time comes out of the grace period, leaving at least 2 s (upstream).
        graceSeconds = Math.max(MIN_GRACE_S, graceSeconds - Math.ceil((this.env.clock.now() - started) / 1000));
      }
      await this.env.runtime.stopContainer(this.uid, st.name, graceSeconds);
    } finally {
      st.stopping = false;
      st.ready = false;
    }
  }

  private async killAll(why: 'terminal' | 'delete'): Promise<void> {
    const grace = why === 'delete' ? this.graceSeconds() : this.spec().terminationGracePeriodSeconds ?? 30;
    const running = [...this.states.values()].filter((s) => s.current?.state === 'running');
    await Promise.all(running.map((s) => this.stopOne(s, grace, true)));
    if (running.length) this.refreshFromRuntime();
  }

  /** Graceful deletion: preStop, SIGTERM, grace, SIGKILL; then the sandbox and the object. */
  terminate(): Promise<void> {
    if (!this.terminating) this.terminating = this.doTerminate();
    return this.terminating;
  }

  private async doTerminate(): Promise<void> {
    for (const st of this.states.values()) this.stopProbes(st);
    await this.killAll('delete');
    const allOk = [...this.states.values()].filter((s) => !s.init).every((s) => s.current?.state === 'exited' && s.current.exitCode === 0);
    await this.publishStatus(allOk ? 'Succeeded' : 'Failed').catch(() => undefined);
    await this.removeSandbox();
    try {
      await this.env.statusWriter.deletePod(this.pod);
    } catch (e) {
      this.env.log('error', 'deleting pod after termination', { pod: this.ref, error: (e as Error).message });
    }
    this.finish();
  }

  isTerminating(): boolean {
    return this.terminating !== undefined;
  }

  /** The pod object is gone (force deletion): stop everything now. */
  async forget(): Promise<void> {
    for (const st of this.states.values()) this.stopProbes(st);
    this.stopped = true;
    await Promise.all([...this.states.values()].filter((s) => s.current?.state === 'running').map((s) => this.env.runtime.stopContainer(this.uid, s.name, 0).catch(() => undefined)));
    await this.removeSandbox();
    this.finish();
  }

  private async removeSandbox(): Promise<void> {
    this.env.mesh?.release(this.uid);
    try {
      await this.env.runtime.removeSandbox(this.uid);
    } catch (e) {
      this.env.log('error', 'removing pod sandbox', { pod: this.ref, error: (e as Error).message });
    }
    rmSync(join(this.podDir, 'volumes'), { recursive: true, force: true });
    this.sandbox = undefined;
    this.env.crashBackoff.deletePrefix(`${this.uid}/`);
    this.env.imageBackoff.deletePrefix(`${this.uid}/`);
  }

  /** Stops timers without touching containers (agent shutdown: pods keep running). */
  stop(): void {
    this.stopped = true;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    if (this.pollTimer) clearInterval(this.pollTimer);
    for (const st of this.states.values()) this.stopProbes(st);
  }

  private finish(): void {
    this.stop();
    this.resolveDone();
  }

  // ---- status ----

  private views(init: boolean): ContainerView[] {
    const spec = this.spec();
    return (init ? spec.initContainers ?? [] : spec.containers ?? []).map((c) => this.states.get(c.name)!);
  }

  private async publishStatus(terminal?: 'Succeeded' | 'Failed', rejected = rejectionOf(this.pod)): Promise<Record<string, unknown> | undefined> {
    const status = buildPodStatus({
      rejected,
      pod: this.pod,
      podIP: this.sandbox?.ip,
      hostIP: this.env.hostIP,
      sandboxReady: !!this.sandbox,
      init: this.views(true),
      containers: this.views(false),
      now: new Date(this.env.clock.now()).toISOString().replace(/\.\d+Z$/, 'Z'),
      terminal,
    });
    const key = JSON.stringify(status);
    if (key === this.lastStatus) return status;
    const stored = await this.env.statusWriter.writeStatus(this.pod, status);
    if (stored) {
      this.pod = stored;
      this.lastStatus = key;
    }
    return status;
  }

  /** For the kubelet server: the container's runtime record by name. */
  containerState(name: string): { spec?: SpecContainer; current?: ContainerStatus; previous?: ContainerStatus; waiting?: { reason: string; message?: string } } | undefined {
    const st = this.states.get(name);
    if (!st) return undefined;
    return { spec: st.spec, current: st.current, previous: st.previous, waiting: st.waiting };
  }
}

/** The kubelet's prefix of a rejected pod's status message (rejectPod). */
const REJECTED = 'Pod was rejected: ';

/** A pod the kubelet refused at admission stays as it was refused, whoever publishes its status next. */
function rejectionOf(pod: KObject): { reason: string; message: string } | undefined {
  const st = (pod.status ?? {}) as { phase?: string; reason?: string; message?: string; containerStatuses?: unknown };
  if (st.phase !== 'Failed' || st.containerStatuses || !st.reason || !st.message?.startsWith(REJECTED)) return undefined;
  return { reason: st.reason, message: st.message };
}

/** Applies a changed probe result to the container: readiness, startup, or a restart request. */
export function applyProbeResult(
  st: { ready: boolean; started: boolean; killRequested?: boolean; probes: Partial<Record<ProbeType, ProbeTracker>> },
  type: ProbeType,
  tracker: ProbeTracker,
  onKill: (probe: 'liveness' | 'startup') => void,
): void {
  if (type === 'readiness') {
    st.ready = tracker.result === 'success' && st.started;
    return;
  }
  if (tracker.result === 'failure') {
    st.killRequested = true;
    onKill(type);
    return;
  }
  if (type === 'startup' && tracker.result === 'success') {
    st.started = true;
    if (!st.probes.readiness) st.ready = true;
  }
}

/** Pod-level cgroup limits: the sum of container limits, when every container sets one. */
export function podLimits(spec: { containers?: IContainer[]; initContainers?: IContainer[] }): { cpuLimitMillis?: number; memoryLimitBytes?: number } {
  const sum = (res: 'cpu' | 'memory'): number | undefined => {
    let total = 0;
    for (const c of spec.containers ?? []) {
      const q = c.resources?.limits?.[res];
      if (q === undefined) return undefined;
      total += parseQuantity(q) ?? 0;
    }
    // An init container runs alone, so the pod needs at least its limit (upstream effective limit).
    for (const c of spec.initContainers ?? []) {
      const q = c.resources?.limits?.[res];
      if (q !== undefined) total = Math.max(total, parseQuantity(q) ?? 0);
    }
    return total;
  };
  const cpu = sum('cpu');
  const mem = sum('memory');
  const out: { cpuLimitMillis?: number; memoryLimitBytes?: number } = {};
  if (cpu !== undefined && (spec.containers ?? []).length) out.cpuLimitMillis = Math.round(cpu * 1000);
  if (mem !== undefined && (spec.containers ?? []).length) out.memoryLimitBytes = Math.round(mem);
  return out;
}

/**
 * The pod's CPU request in millicores, as upstream's PodRequests adds it up: its containers and
 * sidecars (restartable init containers) run together; each other init container runs alone
 * beside the sidecars started before it, so the pod needs the larger of the two; the pod's
 * overhead (RuntimeClass) comes on top. The scheduler's podRequests adds up the same for every
 * resource; the node may not import the scheduler.
 */
export function podCpuRequestMillis(spec: { containers?: IContainer[]; initContainers?: IContainer[]; overhead?: Record<string, string | number> }): number {
  const cpu = (c: IContainer) => Math.round((parseQuantity(c.resources?.requests?.cpu ?? 0) ?? 0) * 1000);
  let sidecars = 0;
  let initPeak = 0;
  for (const c of spec.initContainers ?? []) {
    if (c.restartPolicy === 'Always') sidecars += cpu(c);
    else initPeak = Math.max(initPeak, sidecars + cpu(c));
  }
  const running = sidecars + (spec.containers ?? []).reduce((sum, c) => sum + cpu(c), 0);
  return Math.max(running, initPeak) + Math.round((parseQuantity(spec.overhead?.cpu ?? 0) ?? 0) * 1000);
}

/** The container's own requests and limits as the runtime takes them (CPU in millicores, memory in bytes). */
export function containerResources(c: IContainer): ContainerResources {
  const out: ContainerResources = {};
  const q = (v: string | number | undefined) => (v === undefined ? undefined : parseQuantity(v));
  const cpuRequest = q(c.resources?.requests?.cpu);
  const cpuLimit = q(c.resources?.limits?.cpu);
  const memLimit = q(c.resources?.limits?.memory);
  if (cpuRequest !== undefined) out.cpuRequestMilli = Math.round(cpuRequest * 1000);
  if (cpuLimit !== undefined) out.cpuLimitMilli = Math.round(cpuLimit * 1000);
  if (memLimit !== undefined) out.memoryLimitBytes = Math.round(memLimit);
  return out;
}
