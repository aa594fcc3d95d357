// The node agent's Service proxy loop (kube-proxy's role): watches every Service and
// EndpointSlice through the API and keeps the node's nftables table in step with them.
// Each informer event marks its Service as changed and asks for a sync; the SyncRunner folds
// bursts into one nft run at a time, and each run hands ServiceProxy only the changed Services
// with their slices (as upstream's change trackers do), so a change costs the same with 10 or
// 10,000 Services. The first run, and the rebuild after a failed one, use the complete lists.
// Stopping leaves the table in place: the data plane outlives the agent, and the next agent
// rebuilds it from its first full list.
import type { KObject } from '../../api/types.js';
import { SharedInformers, type InformerLike, type ListWatcher } from '../../client/informer.js';
import { ServiceProxy } from './apply.js';
import type { EndpointSliceJSON, NodeFacts, ServiceChange, ServiceJSON } from './rules.js';
import { serviceKey, sliceServiceKey } from './service-ports.js';
import { SyncRunner } from './sync-runner.js';
import { withFields, type Logger } from '../../log.js';
import { ENDPOINTSLICES, SERVICES } from '../../client/resources.js';


/** What the loop needs from ServiceProxy; tests supply a recorder. */
export interface ProxySyncer {
  sync(services: ServiceJSON[], slices: EndpointSliceJSON[]): Promise<boolean>;
  /** Incremental path (ServiceProxy has it); without it every run is a sync of the full lists. */
  syncChanged?(changes: Map<string, ServiceChange>, all: () => { services: ServiceJSON[]; slices: EndpointSliceJSON[] }): Promise<boolean>;
}

function serviceKeyOf(obj: KObject): string {
  return serviceKey(obj as unknown as ServiceJSON);
}

/** The Service an EndpointSlice belongs to, by its label; undefined for slices the proxy ignores (as a full build does). */
function sliceOwnerKey(obj: KObject): string | undefined {
  return sliceServiceKey(obj as unknown as EndpointSliceJSON);
}

export interface ProxierOptions {
  node: NodeFacts;
  /** Where the informers come from (the agent's API client). */
  client?: ListWatcher;
  /** Informers to use instead of building them from `client` (tests). */
  informers?: { services: InformerLike; slices: InformerLike };
  /** The table writer; default a ServiceProxy for `node`. */
  proxy?: ProxySyncer;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  log?: Logger;
}

export class Proxier {
  private readonly services: InformerLike;
  private readonly slices: InformerLike;
  private readonly shared?: SharedInformers;
  private readonly proxy: ProxySyncer;
  private readonly runner: SyncRunner;
  private readonly log: Logger;
  private synced = false;
  private stopped = false;
  private syncs = 0;
  /** Services changed since the last run. */
  private dirty = new Set<string>();
  /** The slices of each Service, kept from events so a run need not scan every slice. */
  private readonly slicesOf = new Map<string, Map<string, EndpointSliceJSON>>();

  constructor(o: ProxierOptions) {
    this.log = o.log ?? (() => {});
    if (o.informers) {
      this.services = o.informers.services;
      this.slices = o.informers.slices;
    } else {
      if (!o.client) throw new Error(`service proxy of node ${o.node.nodeName}: needs an API client or informers`);
      this.shared = new SharedInformers(o.client, withFields(this.log, { node: o.node.nodeName }));
      this.services = this.shared.informer(SERVICES);
      this.slices = this.shared.informer(ENDPOINTSLICES);
    }
    this.proxy = o.proxy ?? new ServiceProxy(o.node, { log: withFields(this.log, { node: o.node.nodeName }) });
    this.runner = new SyncRunner(() => this.syncOnce(), {
      minBackoffMs: o.minBackoffMs,
      maxBackoffMs: o.maxBackoffMs,
      onError: (e, ms) => this.log('error', 'syncing service proxy rules', { node: o.node.nodeName, error: e.message, retryInMs: ms }),
    });
    this.services.addHandler({
      add: (o) => this.changed(serviceKeyOf(o)),
      update: (_, o) => this.changed(serviceKeyOf(o)),
      delete: (o) => this.changed(serviceKeyOf(o)),
    });
    this.slices.addHandler({
      add: (o) => this.sliceChanged(undefined, o),
      update: (old, o) => this.sliceChanged(old, o),
      delete: (o) => this.sliceChanged(o, undefined),
    });
  }

  /**
   * Starts watching; the first sync runs once both caches hold a full list, so an agent that
   * restarts never programs a table from half a picture. Returns without waiting for it.
   */
  start(): void {
    if (this.shared) this.shared.start();
    else {
      this.services.start();
      this.slices.start();
    }
    void Promise.all([this.services.waitForSync(), this.slices.waitForSync()]).then(() => {
      if (this.stopped) return;
      this.synced = true;
      this.runner.request();
    });
  }

  /** Resolves once the first sync after start has been attempted and no run is in flight. */
  async settled(): Promise<void> {
    await Promise.all([this.services.waitForSync(), this.slices.waitForSync()]);
    await this.runner.idle();
  }

  /** How many nft transactions the loop has written (for tests and status). */
  get writes(): number {
    return this.syncs;
  }

  /** Stops watching and syncing; the table stays as it is. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.runner.stop();
    if (this.shared) await this.shared.stop();
    else await Promise.all([this.services.stop(), this.slices.stop()]);
  }

  private changed(key: string | undefined): void {
    if (key) this.dirty.add(key);
    if (this.synced) this.runner.request();
  }

  private sliceChanged(old: KObject | undefined, obj: KObject | undefined): void {
    const oldOwner = old && sliceOwnerKey(old);
    const owner = obj && sliceOwnerKey(obj);
    if (old && oldOwner && oldOwner !== owner) {
      const m = this.slicesOf.get(oldOwner);
      m?.delete(old.metadata.name ?? '');
      if (m?.size === 0) this.slicesOf.delete(oldOwner);
      this.dirty.add(oldOwner);
    }
    if (obj && owner) {
      let m = this.slicesOf.get(owner);
      if (!m) this.slicesOf.set(owner, (m = new Map()));
      m.set(obj.metadata.name ?? '', obj as unknown as EndpointSliceJSON);
    }
    this.changed(owner ?? oldOwner);
  }

  private all(): { services: ServiceJSON[]; slices: EndpointSliceJSON[] } {
    return {
      services: this.services.list() as KObject[] as unknown as ServiceJSON[],
      slices: this.slices.list() as KObject[] as unknown as EndpointSliceJSON[],
    };
  }

  private async syncOnce(): Promise<void> {
    const dirty = this.dirty;
    this.dirty = new Set();
    try {
      if (!this.proxy.syncChanged) {
        const { services, slices } = this.all();
        if (await this.proxy.sync(services, slices)) this.syncs++;
        return;
      }
      const changes = new Map<string, ServiceChange>();
      for (const key of dirty) {
        const i = key.indexOf('/');
        const svc = this.services.get(key.slice(0, i), key.slice(i + 1)) as unknown as ServiceJSON | undefined;
        changes.set(key, { svc, slices: [...(this.slicesOf.get(key)?.values() ?? [])] });
      }
      if (await this.proxy.syncChanged(changes, () => this.all())) this.syncs++;
    } catch (e) {
      // Not applied: those Services are still to do on the retry.
      for (const key of dirty) this.dirty.add(key);
      throw e;
    }
  }
}
