import type { KObject } from '../../api/types.js';
import { existsSync } from 'node:fs';
import { ApiClient, isConflict, isNotFound, type Resource } from '../../client/client.js';
import { netnsPath } from '../network/index.js';
import type { Recorder } from '../../client/events.js';
import { Informer } from '../../client/informer.js';
import { Backoff } from './backoff.js';
import { realClock, type Clock, type ImageService, type PodRuntime } from './cri.js';
import { hostResolvConf } from './dns.js';
import type { ObjectSource } from './env.js';
import type { NodeAllocatable } from './fieldpath.js';
import { PodWorker, type PodStatusWriter, type WorkerEnv } from './pod-worker.js';
import { TokenManager, type TokenRequestResult } from './token-manager.js';
import type { Logger } from '../../log.js';
import { CONFIGMAPS, PODS, SECRETS, SERVICEACCOUNTS, SERVICES } from '../../client/resources.js';

// The kubelet's pod loop: watches the pods bound to this node, keeps one worker per pod, and
// on start adopts the sandboxes left by a previous agent (and removes those of gone pods).


export type KubeletClient = Pick<ApiClient, 'get' | 'list' | 'watch' | 'update' | 'delete' | 'create' | 'patch' | 'createSubresource'>;

export interface KubeletOptions {
  client: KubeletClient;
  runtime: PodRuntime;
  images: ImageService;
  recorder: Recorder;
  nodeName: string;
  hostIP: string;
  nodeDir: string;
  alloc: NodeAllocatable;
  clock?: Clock;
  log: WorkerEnv['log'];
  mesh?: WorkerEnv['mesh'];
}

async function getOrUndefined(client: KubeletClient, res: Resource, ns: string, name: string): Promise<KObject | undefined> {
  try {
    return await client.get(res, ns, name);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** Pod status writes as the status manager: PUT pods/status, re-reading on conflict. */
export function apiStatusWriter(client: KubeletClient): PodStatusWriter {
  return {
    async writeStatus(pod, status) {
      let cur: KObject = pod;
      for (let i = 0; i < 5; i++) {
        try {
          return await client.update(PODS, { ...cur, status }, 'status');
        } catch (e) {
          if (isNotFound(e)) return undefined;
          if (!isConflict(e)) throw e;
          const fresh = await getOrUndefined(client, PODS, pod.metadata.namespace ?? '', pod.metadata.name ?? '');
          if (!fresh || fresh.metadata.uid !== pod.metadata.uid) return undefined;
          cur = fresh;
        }
      }
      throw new Error(`updating status of pod ${pod.metadata.namespace}/${pod.metadata.name}: too many conflicts`);
    },
    async deletePod(pod) {
      try {
        await client.delete(PODS, pod.metadata.namespace, pod.metadata.name ?? '', { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
      } catch (e) {
        if (isNotFound(e) || (e as { status?: number }).status === 409) return;
        throw e;
      }
    },
  };
}

/** Tokens for projected volumes: POST serviceaccounts/<name>/token, as the kubelet's token manager does. */
export function apiTokenManager(client: KubeletClient, log?: Logger): TokenManager {
  return new TokenManager(
    async (ns, name, spec) => {
      let tr: { spec?: { expirationSeconds?: number }; status?: { token?: string; expirationTimestamp?: string } };
      try {
        tr = await client.createSubresource(SERVICEACCOUNTS, ns, name, 'token', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec });
      } catch (e) {
        // The Status message alone, as upstream's FailedMount events show it.
        throw new Error((e as { body?: { message?: string } }).body?.message ?? (e as Error).message);
      }
      const out: TokenRequestResult = {
        token: tr.status?.token ?? '',
        expiration: Date.parse(tr.status?.expirationTimestamp ?? ''),
        expirationSeconds: tr.spec?.expirationSeconds ?? spec.expirationSeconds ?? 3600,
      };
      if (!out.token || !Number.isFinite(out.expiration)) throw new Error('the TokenRequest answer has no token or expiration');
      return out;
    },
    Date.now,
    Math.random,
    log,
  );
}

export function apiObjectSource(client: KubeletClient, tokens: TokenManager = apiTokenManager(client)): ObjectSource {
  return {
    configMap: (ns, name) => getOrUndefined(client, CONFIGMAPS, ns, name),
    secret: (ns, name) => getOrUndefined(client, SECRETS, ns, name),
    serviceAccountToken: (ns, name, spec) => tokens.serviceAccountToken(ns, name, spec),
  };
}

export class Kubelet {
  private workers = new Map<string, PodWorker>();
  private pods: Informer;
  private services: Informer;
  private env: WorkerEnv;
  private tokens: TokenManager;
  private started = false;

  constructor(private readonly o: KubeletOptions) {
    const clock = o.clock ?? realClock;
    this.pods = new Informer(o.client, PODS, { fieldSelector: `spec.nodeName=${o.nodeName}`, log: o.log });
    this.services = new Informer(o.client, SERVICES, { log: o.log });
    this.tokens = apiTokenManager(o.client, o.log);
    this.env = {
      runtime: o.runtime,
      images: o.images,
      recorder: o.recorder,
      clock,
      objects: apiObjectSource(o.client, this.tokens),
      services: () => this.services.list(),
      statusWriter: apiStatusWriter(o.client),
      nodeName: o.nodeName,
      hostIP: o.hostIP,
      nodeDir: o.nodeDir,
      alloc: o.alloc,
      hostResolv: hostResolvConf(),
      crashBackoff: new Backoff(clock),
      imageBackoff: new Backoff(clock),
      log: o.log,
      mesh: o.mesh,
    };
  }

  async start(): Promise<void> {
    this.pods.addHandler({
      add: (p) => this.started && this.upsert(p),
      update: (_o, p) => this.started && this.upsert(p),
      delete: (p) => this.started && this.removed(p),
    });
    this.services.start();
    this.pods.start();
    await Promise.all([this.pods.waitForSync(), this.services.waitForSync()]);
    await this.adopt();
    this.started = true;
    for (const p of this.pods.list()) this.upsert(p);
  }

  /** Sandboxes on disk whose pod is bound here are adopted; the others are removed. */
  private async adopt(): Promise<void> {
    const byUid = new Map(this.pods.list().map((p) => [p.metadata.uid ?? '', p]));
    for (const sb of this.o.runtime.listSandboxes()) {
      const pod = byUid.get(sb.podUid);
      if (pod && !existsSync(netnsPath(sb.netns))) {
        // The machine side was torn down (skiff stop): the worker builds a new sandbox and
        // restarts the containers in it, as upstream does when a pod sandbox changed.
        this.env.recorder.event(pod, 'Normal', 'SandboxChanged', 'Pod sandbox changed, it will be killed and re-created.');
        continue;
      }
      if (pod) {
        const w = new PodWorker(pod, this.env, sb);
        this.workers.set(sb.podUid, w);
        w.start();
        this.o.log('info', 'adopted pod sandbox', { pod: `${sb.namespace}/${sb.name}`, uid: sb.podUid });
        continue;
      }
      this.o.log('info', 'removing sandbox of a pod that is gone', { pod: `${sb.namespace}/${sb.name}`, uid: sb.podUid });
      await this.o.runtime.removeSandbox(sb.podUid).catch((e: Error) => this.o.log('error', 'removing orphaned sandbox', { uid: sb.podUid, error: e.message }));
    }
  }

  private upsert(pod: KObject): void {
    const uid = pod.metadata.uid ?? '';
    const w = this.workers.get(uid);
    if (w) {
      w.update(pod);
      return;
    }
    const worker = new PodWorker(pod, this.env);
    this.workers.set(uid, worker);
    void worker.done.then(() => {
      if (this.workers.get(uid) === worker) this.workers.delete(uid);
      this.tokens.deletePodTokens(uid);
    });
    worker.start();
  }

  private removed(pod: KObject): void {
    const w = this.workers.get(pod.metadata.uid ?? '');
    if (!w || w.isTerminating()) return;
    // Our own final delete also lands here; a worker still running means a force deletion.
    void w.forget().finally(() => this.workers.delete(pod.metadata.uid ?? ''));
  }

  /** The worker of a pod by namespace and name, for logs, exec and port-forward. */
  worker(namespace: string, name: string): PodWorker | undefined {
    for (const w of this.workers.values()) if (w.pod.metadata.namespace === namespace && w.pod.metadata.name === name) return w;
    return undefined;
  }

  allWorkers(): PodWorker[] {
    return [...this.workers.values()];
  }

  /** Stops watching and probing; containers keep running for the next agent to adopt. */
  async stop(): Promise<void> {
    for (const w of this.workers.values()) w.stop();
    await Promise.all([this.pods.stop(), this.services.stop()]);
  }
}
