// The kubelet's image manager (pkg/kubelet/images/image_manager.go EnsureImageExists): decides,
// from the pull policy and what the store holds, whether a container's image is pulled, and
// where skiff's built-in catalog stands in. The rule (README, "Images"):
//
//   --images=builtin   the catalog and images.yaml only; nothing is pulled (skiff before registries).
//   --images=registry  real images only: pulled per imagePullPolicy, as any kubelet does.
//   --images=auto      (default) as registry, except when the registry of an image the catalog
//                      knows cannot be reached at all: then the image stored on this machine
//                      from an earlier pull or `skiff load` runs if there is one, else the
//                      catalog's stand-in, and a Normal event on the pod says which and why.
//
// images.yaml maps and skiff's own add-on programs (cluster DNS, ingress controller) apply in
// every mode. Once the real image is stored, every auto cluster on the machine runs it; a
// stand-in only ever runs when nothing real is stored, and never without saying so.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { IMAGE_MAP_FILE } from './user-images.js';
import { fullReference, parseReference, ReferenceError, type ImageReference } from './reference.js';
import type { ImageConfig } from './config.js';
import { builtinImage, invalidImageName, resolveImage, userImage } from './index.js';
import { credentialsFor } from './registry/auth.js';
import { PullError } from './registry/pull-error.js';
import { storedImageConfig } from './stored-image.js';
import type { ImageStore, StoredImage } from './store/store.js';

export type ImagesMode = 'auto' | 'registry' | 'builtin';
export const IMAGES_MODES: readonly ImagesMode[] = ['auto', 'registry', 'builtin'];

/**
 * Pulls `ref` into the store (in the host's network namespace); throws PullError. `timeoutMs`
 * bounds each wait on the registry (connect, answer, next chunk) when set.
 */
export type Puller = (ref: ImageReference, credentials: { username: string; password: string }[], timeoutMs?: number) => Promise<StoredImage>;

export interface EnsureRequest {
  image: string;
  /** The container's imagePullPolicy (the API server defaulted it). */
  pullPolicy?: string;
  /** The `.dockerconfigjson` of each of the pod's imagePullSecrets, in order. */
  pullSecrets: string[];
  /** Called just before a pull starts (the kubelet's Pulling event). */
  onPulling(): void;
}

export type EnsureResult =
  | {
      ok: true;
      image: ImageConfig;
      /** Set when this call pulled it. */
      pulled?: { pullMs: number; totalMs: number; size: number };
      /** Set when a stored or built-in image stands in for an unreachable registry: why. */
      standIn?: { kind: 'stored' | 'builtin'; cause: string };
    }
  | { ok: false; reason: 'ErrImagePull' | 'InvalidImageName' | 'ErrImageNeverPull'; message: string };

/** How long an unreachable registry is not asked again for images the catalog can stand in for. */
const UNREACHABLE_TTL_MS = 60_000;
/**
 * The longest wait on a registry for an image the catalog can stand in for: on a machine whose
 * DNS or network hangs rather than fails, the stand-in starts after this, not after the pull
 * timeout. A registry that answers keeps sending well within it.
 */
const STAND_IN_PATIENCE_MS = 5_000;

/** upstream shouldPullImage. */
function shouldPull(policy: string, present: boolean): boolean {
  if (policy === 'Never') return false;
  if (policy === 'Always') return true;
  return !present;
}

/** The API server's default, for a container that reached the kubelet without one. */
function defaultPolicy(ref: ImageReference): string {
  return !ref.digest && (ref.tag === undefined || ref.tag === 'latest') ? 'Always' : 'IfNotPresent';
}

export class ImageManager {
  private readonly inflight = new Map<string, Promise<StoredImage>>();
  private readonly unreachableUntil = new Map<string, { until: number; cause: string }>();

  constructor(
    private readonly o: {
      mode: ImagesMode;
      store: ImageStore;
      puller: Puller;
      home: string;
      clusterDir: string;
      now?: () => number;
      /**
       * Readies the stand-in's root (assembled once per cluster, see images/index.ts
       * containerImage) while the registry is asked, for an image the catalog stands in for and
       * nothing stored would replace: when the registry turns out unreachable, the container
       * starts without assembling it after the failed pull. A registry that answers leaves it unused.
       */
      prepareStandIn?: (image: ImageConfig) => void;
    },
  ) {}

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  async ensure(req: EnsureRequest): Promise<EnsureResult> {
    const opts = { home: this.o.home, clusterDir: this.o.clusterDir };
    if (this.o.mode === 'builtin') return resolveImage(req.image, opts);
    let ref: ImageReference;
    try {
      ref = parseReference(req.image);
    } catch (err) {
      if (!(err instanceof ReferenceError)) throw err;
      return invalidImageName(req.image, err);
    }
    const user = userImage(ref, opts);
    if (user) return user;
    const builtin = builtinImage(ref, opts);
    if (builtin?.program) return { ok: true, image: builtin.image };
    const standInFor = this.o.mode === 'auto' ? builtin?.image : undefined;

    const full = fullReference(ref);
    const stored = this.o.store.get(full);
    const policy = req.pullPolicy || defaultPolicy(ref);
    if (!shouldPull(policy, stored !== undefined)) {
      if (stored) return { ok: true, image: storedImageConfig(stored, this.o.store) };
      if (standInFor) return { ok: true, image: standInFor, standIn: { kind: 'builtin', cause: `image "${req.image}" is not present with pull policy of Never` } };
      return { ok: false, reason: 'ErrImageNeverPull', message: `Container image "${req.image}" is not present with pull policy of Never` };
    }
    const down = this.unreachableUntil.get(ref.domain);
    if (standInFor && down && down.until > this.now()) return this.standIn(stored, standInFor, down.cause);

    const credentials = req.pullSecrets.flatMap((s) => credentialsFor(s, ref.domain, ref.path));
    const started = this.now();
    try {
      const pulling = this.pull(ref, full, credentials, req.onPulling, standInFor ? STAND_IN_PATIENCE_MS : undefined);
      if (standInFor && !stored) this.prepareStandIn(standInFor);
      const { img, pullMs } = await pulling;
      this.unreachableUntil.delete(ref.domain);
      return { ok: true, image: storedImageConfig(img, this.o.store), pulled: { pullMs, totalMs: this.now() - started, size: img.size } };
    } catch (e) {
      if (!(e instanceof PullError)) throw e;
      if (standInFor && e.unreachable) {
        this.unreachableUntil.set(ref.domain, { until: this.now() + UNREACHABLE_TTL_MS, cause: e.message });
        return this.standIn(stored, standInFor, e.message);
      }
      return { ok: false, reason: 'ErrImagePull', message: e.unreachable ? `${e.grpc}${this.offlineHint()}` : e.grpc };
    }
  }

  private prepareStandIn(image: ImageConfig): void {
    try {
      this.o.prepareStandIn?.(image);
    } catch {
      // The container's start assembles it again if it is used, and reports a failure then.
    }
  }

  /** What a user whose registry is out of reach can do instead, after containerd's words. */
  private offlineHint(): string {
    return `; the registry cannot be reached from this machine: load the image with \`skiff load\`, or map it to a host program in ${join(this.o.home, IMAGE_MAP_FILE)} (or ${join(this.o.clusterDir, IMAGE_MAP_FILE)})`;
  }

  private standIn(stored: StoredImage | undefined, builtin: ImageConfig, cause: string): EnsureResult {
    if (stored) return { ok: true, image: storedImageConfig(stored, this.o.store), standIn: { kind: 'stored', cause } };
    return { ok: true, image: builtin, standIn: { kind: 'builtin', cause } };
  }

  /** One pull per reference and credentials at a time; a second asker with the same waits for the first. */
  private async pull(ref: ImageReference, full: string, credentials: { username: string; password: string }[], onPulling: () => void, timeoutMs?: number): Promise<{ img: StoredImage; pullMs: number }> {
    onPulling();
    const key = `${full}\0${createHash('sha256').update(JSON.stringify(credentials)).digest('hex')}`;
    let p = this.inflight.get(key);
    const started = this.now();
    if (!p) {
      p = this.o.puller(ref, credentials, timeoutMs).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    const img = await p;
    return { img, pullMs: this.now() - started };
  }
}
