import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import { isDeepStrictEqual } from 'node:util';
import type { KObject, OwnerReference } from '../../api/types.js';
import { isNamespaceTerminating } from '../../client/client.js';
import type { EventType } from '../../client/events.js';
import type { LabelSelector } from '../../api/selectors.js';
import { claim, newControllerRef } from '../../client/controllerref.js';
import { compareForDeletion, isPodActive, isPodAvailable, isPodReady } from '../podutil.js';
import type { Expectations } from './expectations.js';

// The ReplicaSet decision (pkg/controller/replicaset/replica_set.go and
// replica_set_utils.go): claim matching pods, create or delete the difference in slow-start
// batches, then write status.

/** Upstream caps how many pods one sync creates or deletes. */
export const BURST_REPLICAS = 500;

export interface ReplicaSetSpec {
  replicas?: number;
  minReadySeconds?: number;
  selector?: LabelSelector;
  template?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; finalizers?: string[] }; spec?: unknown };
}

export interface ReplicaSetCondition {
  type: string;
  status: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface ReplicaSetStatus {
  replicas: number;
  fullyLabeledReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  observedGeneration?: number;
  conditions?: ReplicaSetCondition[];
}

/** The API calls a sync makes; the controller wires them to the client. */
export interface ReplicaSetEffects {
  createPod(namespace: string, pod: KObject): Promise<KObject>;
  /** Resolves when the pod is gone already. */
  deletePod(pod: KObject): Promise<void>;
  setPodOwnerRefs(pod: KObject, refs: OwnerReference[]): Promise<void>;
  updateStatus(rs: KObject): Promise<KObject>;
  event(obj: KObject, type: EventType, reason: string, message: string): void;
}

export function specOf(rs: KObject): ReplicaSetSpec {
  return (rs.spec ?? {}) as ReplicaSetSpec;
}

export function replicasOf(rs: KObject): number {
  return specOf(rs).replicas ?? 1;
}

export function keyOf(obj: KObject): string {
  return `${obj.metadata.namespace}/${obj.metadata.name}`;
}

// rand.String's alphabet: no vowels (no words) and no easily confused characters.
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

export function randomSuffix(n = 5): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHANUMS[Math.floor(Math.random() * ALPHANUMS.length)];
  return s;
}

/** A pod from the template, as GetPodFromTemplate. */
export function podFromTemplate(rs: KObject, name: string): KObject {
  const t = specOf(rs).template ?? {};
  const meta = t.metadata ?? {};
  const prefix = `${rs.metadata.name}-`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      generateName: prefix,
      namespace: rs.metadata.namespace,
      labels: { ...(meta.labels ?? {}) },
      ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
      ...(meta.finalizers ? { finalizers: [...meta.finalizers] } : {}),
      ownerReferences: [newControllerRef(rs, 'apps/v1', 'ReplicaSet')],
    },
    spec: structuredClone(t.spec ?? {}),
  };
}

/**
 * Runs fn count times in batches of 1, 2, 4, … stopping after the first batch with a
 * failure, so a quota or admission error costs one call, not hundreds (slowStartBatch).
 */
export async function slowStartBatch(
  count: number,
  initial: number,
  fn: () => Promise<void>,
): Promise<{ successes: number; attempted: number; error?: Error }> {
  let remaining = count;
  let successes = 0;
  let attempted = 0;
  for (let batch = Math.min(remaining, initial); batch > 0; batch = Math.min(2 * batch, remaining)) {
    attempted += batch;
    const results = await Promise.allSettled(Array.from({ length: batch }, () => fn()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    successes += results.filter((r) => r.status === 'fulfilled').length;
    if (failed) return { successes, attempted, error: failed.reason as Error };
    remaining -= batch;
  }
  return { successes, attempted };
}

/** The pods to delete: those cheapest to lose, ranked by co-location with siblings. */
export function podsToDelete(pods: KObject[], n: number): KObject[] {
  if (n >= pods.length) return pods.slice();
  const perNode = new Map<string, number>();
  for (const p of pods) {
    const node = (p.spec as IPodSpec | undefined)?.nodeName ?? '';
    if (node) perNode.set(node, (perNode.get(node) ?? 0) + 1);
  }
  const ranks = new Map<KObject, number>();
  for (const p of pods) ranks.set(p, perNode.get((p.spec as IPodSpec | undefined)?.nodeName ?? '') ?? 0);
  return pods.slice().sort((a, b) => compareForDeletion(a, b, ranks)).slice(0, n);
}

function labelsContain(labels: Record<string, string> | undefined, want: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return Object.entries(want ?? {}).every(([k, v]) => l[k] === v);
}

/** The status these pods warrant (calculateStatus). */
export function calculateStatus(rs: KObject, pods: KObject[], manageError: { message: string; reason: string } | undefined, now: number): ReplicaSetStatus {
  const spec = specOf(rs);
  const old = (rs.status ?? {}) as ReplicaSetStatus;
  const templateLabels = spec.template?.metadata?.labels;
  let fullyLabeled = 0, ready = 0, available = 0;
  for (const p of pods) {
    if (labelsContain(p.metadata.labels, templateLabels)) fullyLabeled++;
    if (isPodReady(p)) {
      ready++;
      if (isPodAvailable(p, spec.minReadySeconds ?? 0, now)) available++;
    }
  }
  let conditions = (old.conditions ?? []).slice();
  const failure = conditions.find((c) => c.type === 'ReplicaFailure');
  if (manageError && !failure) {
    conditions.push({
      type: 'ReplicaFailure',
      status: 'True',
      lastTransitionTime: new Date(now).toISOString().replace(/\.\d+Z$/, 'Z'),
      reason: manageError.reason,
      message: manageError.message,
    });
  } else if (!manageError && failure) {
    conditions = conditions.filter((c) => c.type !== 'ReplicaFailure');
  }
  // Zero counts are omitted, as the Go types' omitempty does; replicas is always there.
  const st: ReplicaSetStatus = { replicas: pods.length };
  if (fullyLabeled) st.fullyLabeledReplicas = fullyLabeled;
  if (ready) st.readyReplicas = ready;
  if (available) st.availableReplicas = available;
  const gen = rs.metadata.generation ?? old.observedGeneration;
  if (gen) st.observedGeneration = gen;
  if (conditions.length) st.conditions = conditions;
  return st;
}

function sameStatus(a: ReplicaSetStatus | undefined, b: ReplicaSetStatus): boolean {
  return isDeepStrictEqual(a ?? {}, b);
}

/**
 * ClaimPods for a controller of kind `kind`: adopts the orphans its selector matches, releases
 * the pods it no longer matches, and returns those it controls.
 */
export async function claimOwned(
  owner: KObject,
  kind: string,
  selector: LabelSelector | undefined,
  pods: KObject[],
  fx: Pick<ReplicaSetEffects, 'setPodOwnerRefs'>,
  apiVersion = 'apps/v1',
): Promise<KObject[]> {
  const owned: KObject[] = [];
  for (const p of pods) {
    const c = claim(owner, selector, p);
    if (c === 'owned') owned.push(p);
    else if (c === 'adopt') {
      await fx.setPodOwnerRefs(p, [...(p.metadata.ownerReferences ?? []), newControllerRef(owner, apiVersion, kind)]);
      owned.push(p);
    } else if (c === 'release') {
      await fx.setPodOwnerRefs(p, (p.metadata.ownerReferences ?? []).filter((r) => r.uid !== owner.metadata.uid));
    }
  }
  return owned;
}

/** Claims pods for rs; returns the active pods it controls after adoption and release. */
export function claimPods(rs: KObject, pods: KObject[], fx: ReplicaSetEffects): Promise<KObject[]> {
  return claimOwned(rs, 'ReplicaSet', specOf(rs).selector, pods.filter(isPodActive), fx);
}

/**
 * Creates `n` pods made by `make` in slow-start batches, with RealPodControl's events; the
 * caller has expected `n` creations, and every pod not made is counted as observed.
 */
export async function createPods(owner: KObject, n: number, make: () => KObject, fx: ReplicaSetEffects, exp: Expectations): Promise<Error | undefined> {
  const key = keyOf(owner);
  const { attempted, error } = await slowStartBatch(n, 1, async () => {
    try {
      const created = await fx.createPod(owner.metadata.namespace as string, make());
      fx.event(owner, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
    } catch (e) {
      exp.creationObserved(key);
      // Creates into a terminating namespace fail until it is gone; that is no failure.
      if (isNamespaceTerminating(e)) return;
      fx.event(owner, 'Warning', 'FailedCreate', `Error creating: ${(e as Error).message}`);
      throw e;
    }
  });
  // Pods never attempted will never be observed either.
  for (let i = attempted; i < n; i++) exp.creationObserved(key);
  return error;
}

/** Deletes the pods with RealPodControl's events; a deletion that failed is no longer expected. */
export async function deletePods(owner: KObject, victims: KObject[], fx: ReplicaSetEffects, exp: Expectations): Promise<Error | undefined> {
  const key = keyOf(owner);
  const results = await Promise.allSettled(
    victims.map(async (p) => {
      try {
        await fx.deletePod(p);
        fx.event(owner, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`);
      } catch (e) {
        exp.deletionObserved(key, keyOf(p));
        fx.event(owner, 'Warning', 'FailedDelete', `Error deleting: ${(e as Error).message}`);
        throw e;
      }
    }),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  return failed ? (failed.reason as Error) : undefined;
}

/** Creates or deletes the difference between desired and actual pods (manageReplicas). */
export async function manageReplicas(
  rs: KObject,
  pods: KObject[],
  fx: ReplicaSetEffects,
  exp: Expectations,
  now: number = Date.now(),
): Promise<{ message: string; reason: string } | undefined> {
  const key = keyOf(rs);
  const diff = pods.length - replicasOf(rs);
  if (diff < 0) {
    const n = Math.min(-diff, BURST_REPLICAS);
    exp.expectCreations(key, n, now);
    const error = await createPods(rs, n, () => podFromTemplate(rs, `${rs.metadata.name}-${randomSuffix()}`), fx, exp);
    return error ? { reason: 'FailedCreate', message: error.message } : undefined;
  }
  if (diff > 0) {
    const victims = podsToDelete(pods, Math.min(diff, BURST_REPLICAS));
    exp.expectDeletions(key, victims.map(keyOf), now);
    const error = await deletePods(rs, victims, fx, exp);
    if (error) return { reason: 'FailedDelete', message: error.message };
  }
  return undefined;
}

/**
 * One reconcile of a ReplicaSet given every pod in its namespace. Throws when pods could
 * not be created or deleted, after recording that in status.
 */
export async function syncReplicaSet(
  rs: KObject,
  namespacePods: KObject[],
  fx: ReplicaSetEffects,
  exp: Expectations,
  now: number = Date.now(),
): Promise<{ requeueAfter?: number }> {
  const key = keyOf(rs);
  const pods = await claimPods(rs, namespacePods, fx);
  let manageError: { message: string; reason: string } | undefined;
  if (exp.satisfied(key, now) && !rs.metadata.deletionTimestamp) manageError = await manageReplicas(rs, pods, fx, exp, now);
  const status = calculateStatus(rs, pods, manageError, now);
  if (!sameStatus(rs.status as ReplicaSetStatus | undefined, status)) {
    await fx.updateStatus({ ...rs, status });
  }
  if (manageError) throw new Error(`syncing ReplicaSet ${key}: ${manageError.message}`);
  const minReady = specOf(rs).minReadySeconds ?? 0;
  const want = replicasOf(rs);
  if (minReady > 0 && (status.readyReplicas ?? 0) === want && (status.availableReplicas ?? 0) !== want) {
    // Availability is a matter of time alone now; nothing else will wake us.
    return { requeueAfter: minReady * 1000 };
  }
  return {};
}
