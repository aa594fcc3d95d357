// The host-port publisher: keeps one listening socket on the host per port that NodePort and
// LoadBalancer Services ask for (see wanted.ts), and hands each to the forwarder it runs in node
// 1's network namespace. Services are read through the API like any other client; listeners
// come and go with them while everything else keeps running. A port it cannot have (taken on
// the host, or by an older Service) is logged and reported as a Warning Event on the Service,
// and tried again a little later.
import type { ChildProcess } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import type { KObject } from '../../../api/types.js';
import type { ApiClient } from '../../../client/client.js';
import { EventRecorder, type Recorder } from '../../../client/events.js';
import { Informer, type InformerLike } from '../../../client/informer.js';
import { log } from '../../../log.js';
import { diffListeners } from './diff.js';
import { isFromForwarder, type ToForwarder } from './protocol.js';
import { compareHostPorts, writeHostPortsState, type HostPortsState } from './status-file.js';
import { wantedListeners, type HostPortService, type Listener, type PublishOptions } from './wanted.js';
import { SERVICES } from '../../../client/resources.js';

export const PUBLISHER_COMPONENT = 'skiff-host-ports';
/** How soon a port that could not be bound is tried again. */
export const RETRY_MS = 5_000;
const RESPAWN_MIN_MS = 200;
const RESPAWN_MAX_MS = 10_000;

/** Event reasons. SyncLoadBalancerFailed and EnsuredLoadBalancer are upstream's service controller's. */
export const REASON_NODE_PORT_FAILED = 'FailedToPublishNodePort';
export const REASON_LB_FAILED = 'SyncLoadBalancerFailed';
export const REASON_LB_ENSURED = 'EnsuredLoadBalancer';

export interface PublisherOptions extends PublishOptions {
  client: Pick<ApiClient, 'list' | 'watch' | 'create' | 'patch'>;
  /** Starts the forwarder with an IPC channel, inside the node namespace. */
  spawnForwarder: () => ChildProcess;
  /** Where the state for `skiff status` is written; none in tests that do not care. */
  clusterDir?: string;
  informer?: InformerLike;
  recorder?: Recorder;
  retryMs?: number;
}

interface Unpublished {
  listener: Listener;
  reason: string;
  /** The bind error's code, when binding failed. */
  code?: string;
}

/** Binds address:port on the host with the options the forwarder needs for its connections. */
export function bindListener(address: string, port: number): Promise<Server> {
  const server = createServer({ allowHalfOpen: true, pauseOnConnect: true });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: address, port, exclusive: true }, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** The address part of a bind error, as Go prints it: `listen tcp 127.0.0.1:80: bind: address already in use`. */
export function describeBindError(l: Listener, e: NodeJS.ErrnoException): string {
  const what: Record<string, string> = {
    EADDRINUSE: 'address already in use',
    EADDRNOTAVAIL: 'cannot assign requested address',
    EACCES: 'permission denied',
  };
  return `listen tcp ${l.address}:${l.port}: bind: ${(e.code && what[e.code]) || e.message}`;
}

export class HostPortPublisher {
  private readonly informer: InformerLike;
  private readonly recorder: Recorder;
  private readonly retryMs: number;
  /** Listeners the forwarder holds. */
  private bound = new Map<string, Listener>();
  private unpublished = new Map<string, Unpublished>();
  /** Problems already reported as events, so a retry does not repeat them. */
  private reported = new Set<string>();
  private ensured = new Set<string>();
  private forwarder?: ChildProcess;
  private forwarderReady = false;
  private readyWaiters: (() => void)[] = [];
  private respawnDelay = RESPAWN_MIN_MS;
  private closeWaiters = new Map<number, () => void>();
  private nextCloseId = 1;
  private running?: Promise<void>;
  private dirty = false;
  private stopped = false;
  private timers = new Set<NodeJS.Timeout>();
  private retryPending = false;

  constructor(private readonly o: PublisherOptions) {
    this.informer = o.informer ?? new Informer(o.client, SERVICES, { log });
    this.recorder = o.recorder ?? new EventRecorder(o.client, PUBLISHER_COMPONENT, log);
    this.retryMs = o.retryMs ?? RETRY_MS;
  }

  async start(): Promise<void> {
    this.startForwarder();
    const kick = () => this.kick();
    this.informer.addHandler({ add: kick, update: kick, delete: kick });
    this.informer.start();
    await this.informer.waitForSync();
    await this.forwarderUp();
    this.kick();
    await this.idle();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.informer.stop();
    await this.running;
    const fw = this.forwarder;
    this.forwarder = undefined;
    if (fw && fw.exitCode === null && fw.signalCode === null) {
      const exited = new Promise((r) => fw.once('exit', r));
      fw.kill('SIGTERM');
      await exited;
    }
    this.releaseCloseWaiters();
    for (const w of this.readyWaiters.splice(0)) w();
  }

  /** Resolves once a forwarder has said it is ready (or the publisher is stopped). */
  forwarderUp(): Promise<void> {
    if (this.forwarderReady || this.stopped) return Promise.resolve();
    return new Promise((r) => this.readyWaiters.push(r));
  }

  /** Resolves when no reconcile is running or queued. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Listeners held right now, for tests and status. */
  published(): Listener[] {
    return [...this.bound.values()];
  }

  unpublishedListeners(): { listener: Listener; reason: string }[] {
    return [...this.unpublished.values()];
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.dirty = true;
      return;
    }
    this.running = (async () => {
      do {
        this.dirty = false;
        try {
          await this.reconcile();
        } catch (e) {
          log('error', 'publishing host ports', { error: (e as Error).message });
          this.retrySoon();
        }
      } while (this.dirty && !this.stopped);
    })().finally(() => {
      this.running = undefined;
    });
  }

  /** One pending retry at most, however many passes asked for one. */
  private retrySoon(): void {
    if (this.retryPending) return;
    this.retryPending = true;
    this.later(this.retryMs, () => {
      this.retryPending = false;
      this.kick();
    });
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private async reconcile(): Promise<void> {
    const fw = this.forwarder;
    if (!fw?.connected || !this.forwarderReady) return; // The forwarder kicks again when it is ready.
    const services = this.informer.list() as unknown as HostPortService[];
    const { listeners, conflicts } = wantedListeners(services, this.o);
    const byUID = new Map(services.map((s) => [s.metadata.uid ?? '', s]));

    const diff = diffListeners(this.bound, listeners);
    // Closing first frees ports another listener of this same pass may want.
    await Promise.all(diff.close.map((key) => this.closeListener(fw, key)));
    for (const l of diff.update) {
      this.send(fw, { type: 'retarget', key: l.key, target: l.target });
      this.bound.set(l.key, l);
    }

    const unpublished = new Map<string, Unpublished>();
    for (const l of diff.open) {
      try {
        const server = await bindListener(l.address, l.port);
        await this.handOver(fw, l, server);
        this.bound.set(l.key, l);
        log('info', 'published host port', { listener: l.key, service: l.service, target: `${l.target.host}:${l.target.port}` });
      } catch (e) {
        // A forwarder that went away mid-pass is no problem of the port: its restart publishes again.
        if (!fw.connected) continue;
        const reason = describeBindError(l, e as NodeJS.ErrnoException);
        unpublished.set(`${l.serviceUID}|${l.key}`, { listener: l, reason, code: (e as NodeJS.ErrnoException).code });
      }
    }
    for (const c of conflicts) {
      unpublished.set(`${c.wanted.serviceUID}|${c.wanted.key}`, { listener: c.wanted, reason: `${c.wanted.address}:${c.wanted.port} is already published for Service ${c.heldBy}` });
    }
    this.unpublished = unpublished;
    this.report(byUID);
    this.writeState();
    await this.releaseHeldAddresses(byUID);
    if (unpublished.size > 0) this.retrySoon();
  }

  /**
   * A pool address that something else on the host already listens on is given back, so that the
   * API server provisions the next free one. Two clusters that allocate at the same moment can
   * both pick the lowest free address before either listens on it; the one that binds second
   * would otherwise keep an address whose connections reach the other cluster. An address the
   * user asked for (spec.loadBalancerIP) is kept, and reported, as before.
   */
  private async releaseHeldAddresses(byUID: Map<string, HostPortService>): Promise<void> {
    const held = new Map<string, Set<string>>();
    for (const { listener: l, code } of this.unpublished.values()) {
      if (l.role !== 'loadBalancer' || code !== 'EADDRINUSE') continue;
      held.set(l.serviceUID, (held.get(l.serviceUID) ?? new Set()).add(l.address));
    }
    for (const [uid, addresses] of held) {
      const svc = byUID.get(uid);
      const ingress = svc?.status?.loadBalancer?.ingress ?? [];
      if (!svc || svc.spec?.loadBalancerIP || !ingress.some((i) => i.ip && addresses.has(i.ip))) continue;
      const kept = ingress.filter((i) => !(i.ip && addresses.has(i.ip)));
      log('info', 'LoadBalancer address held on the host; asking for another', { service: `${svc.metadata.namespace}/${svc.metadata.name}`, addresses: [...addresses] });
      try {
        await this.o.client.patch(SERVICES, svc.metadata.namespace, svc.metadata.name, 'merge', {
          metadata: { uid, resourceVersion: svc.metadata.resourceVersion },
          status: { loadBalancer: { ingress: kept.length ? kept : null } },
        }, 'status');
      } catch (e) {
        log('error', 'giving back a LoadBalancer address held on the host', { service: `${svc.metadata.namespace}/${svc.metadata.name}`, error: (e as Error).message });
      }
    }
  }

  /** Events for new problems and for LoadBalancers whose every address now answers. */
  private report(byUID: Map<string, HostPortService>): void {
    const nowReported = new Set<string>();
    for (const [id, u] of this.unpublished) {
      const l = u.listener;
      const key = `${id}|${u.reason}`;
      nowReported.add(key);
      if (this.reported.has(key)) continue;
      const svc = byUID.get(l.serviceUID);
      log('error', 'cannot publish host port', { listener: l.key, service: l.service, reason: u.reason });
      if (!svc) continue;
      if (l.role === 'loadBalancer') {
        this.event(svc, 'Warning', REASON_LB_FAILED, `Error syncing load balancer: failed to ensure load balancer: can't publish port ${l.servicePort} on ${l.address}:${l.port}/TCP: ${u.reason}`);
      } else {
        this.event(svc, 'Warning', REASON_NODE_PORT_FAILED, `can't open "nodePort for ${l.service}:${l.servicePort}" (${l.address}:${l.port}/tcp), skipping this nodePort: ${u.reason}`);
      }
    }
    this.reported = nowReported;

    const lbKeys = new Map<string, string[]>();
    for (const l of this.bound.values()) if (l.role === 'loadBalancer') lbKeys.set(l.serviceUID, [...(lbKeys.get(l.serviceUID) ?? []), l.key]);
    for (const u of this.unpublished.values()) if (u.listener.role === 'loadBalancer') lbKeys.delete(u.listener.serviceUID);
    const nowEnsured = new Set<string>();
    for (const [uid, keys] of lbKeys) {
      const id = `${uid}|${keys.sort().join(',')}`;
      nowEnsured.add(id);
      const svc = byUID.get(uid);
      if (!this.ensured.has(id) && svc) this.event(svc, 'Normal', REASON_LB_ENSURED, 'Ensured load balancer');
    }
    this.ensured = nowEnsured;
  }

  private event(svc: HostPortService, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const obj = { apiVersion: 'v1', kind: 'Service', metadata: { ...svc.metadata } } as KObject;
    this.recorder.event(obj, type, reason, message);
  }

  private writeState(): void {
    if (!this.o.clusterDir) return;
    const state: HostPortsState = {
      pid: process.pid,
      updated: new Date().toISOString(),
      published: [...this.bound.values()]
        .map((l) => ({ address: l.address, port: l.port, service: l.service, servicePort: l.servicePort, serviceType: l.serviceType, target: `${l.target.host}:${l.target.port}` }))
        .sort(compareHostPorts),
      unpublished: [...this.unpublished.values()]
        .map(({ listener: l, reason }) => ({ address: l.address, port: l.port, service: l.service, servicePort: l.servicePort, reason }))
        .sort(compareHostPorts),
    };
    try {
      writeHostPortsState(this.o.clusterDir, state);
    } catch (e) {
      log('error', 'writing the host port state', { dir: this.o.clusterDir, error: (e as Error).message });
    }
  }

  /**
   * Gives the listening socket to the forwarder and closes this process's copy once it is sent.
   * A connection accepted here in between is passed over as well.
   */
  private handOver(fw: ChildProcess, l: Listener, server: Server): Promise<void> {
    server.on('connection', (sock: Socket) => this.send(fw, { type: 'connection', key: l.key }, sock));
    return new Promise((resolve, reject) => {
      const msg: ToForwarder = { type: 'listen', key: l.key, target: l.target };
      fw.send(msg, server, (err) => {
        server.close();
        if (err) reject(new Error(`handing ${l.key} to the forwarder: ${err.message}`));
        else resolve();
      });
    });
  }

  private send(fw: ChildProcess, msg: ToForwarder, handle?: Socket): void {
    if (!fw.connected) {
      handle?.destroy();
      return;
    }
    fw.send(msg, handle, (err) => {
      if (err) handle?.destroy();
    });
  }

  private closeListener(fw: ChildProcess, key: string): Promise<void> {
    const id = this.nextCloseId++;
    return new Promise<void>((resolve) => {
      this.closeWaiters.set(id, resolve);
      this.send(fw, { type: 'close', key, id });
      if (!fw.connected) resolve();
    }).then(() => {
      this.closeWaiters.delete(id);
      this.bound.delete(key);
      log('info', 'unpublished host port', { listener: key });
    });
  }

  private releaseCloseWaiters(): void {
    for (const w of this.closeWaiters.values()) w();
    this.closeWaiters.clear();
  }

  private startForwarder(): void {
    if (this.stopped) return;
    let fw: ChildProcess;
    try {
      fw = this.o.spawnForwarder();
    } catch (e) {
      log('error', 'starting the host-port forwarder', { error: (e as Error).message });
      this.scheduleRespawn();
      return;
    }
    this.forwarder = fw;
    this.forwarderReady = false;
    const startedAt = Date.now();
    fw.on('message', (m) => {
      if (!isFromForwarder(m)) return;
      if (m.type === 'closed') return this.closeWaiters.get(m.id)?.();
      if (this.forwarder !== fw) return;
      this.forwarderReady = true;
      for (const w of this.readyWaiters.splice(0)) w();
      // A forwarder that is up (again) gets every listener.
      this.kick();
    });
    fw.on('error', (e) => log('error', 'host-port forwarder', { error: e.message }));
    fw.once('exit', (code, signal) => {
      if (this.forwarder !== fw) return;
      this.forwarder = undefined;
      this.forwarderReady = false;
      // Its listening sockets died with it; this process closed its copies when it handed them over.
      this.bound.clear();
      this.releaseCloseWaiters();
      if (this.stopped) return;
      log('error', 'host-port forwarder exited; starting it again', { code, signal });
      if (Date.now() - startedAt > RESPAWN_MAX_MS) this.respawnDelay = RESPAWN_MIN_MS;
      this.scheduleRespawn();
    });
  }

  private scheduleRespawn(): void {
    const delay = this.respawnDelay;
    this.respawnDelay = Math.min(RESPAWN_MAX_MS, this.respawnDelay * 2);
    this.later(delay, () => this.startForwarder());
  }
}
