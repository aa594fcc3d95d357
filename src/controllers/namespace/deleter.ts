import type { INamespaceSpec } from 'kubernetes-models/v1/NamespaceSpec';
import type { KObject } from '../../api/types.js';
import type { Resource } from '../../client/client.js';
import { failureConditions, mergeConditions, type ContentTotals, type NamespaceCondition } from './conditions.js';

// What the namespace controller does for a Namespace being deleted
// (pkg/controller/namespace/deletion/namespaced_resources_deleter.go): mark it
// Terminating, delete everything in it, report what remains, and once nothing does,
// drop the `kubernetes` finalizer through the finalize subresource.

export const KUBERNETES_FINALIZER = 'kubernetes';

/** The API calls the deleter makes; the controller wires them to the client. */
export interface NamespaceContentApi {
  list(res: Resource, namespace: string): Promise<KObject[]>;
  /** Deletes one object; a 404 must resolve, not reject. */
  delete(res: Resource, namespace: string, obj: KObject): Promise<void>;
  updateStatus(ns: KObject): Promise<KObject>;
  finalize(ns: KObject): Promise<KObject>;
}

export interface NamespaceSyncResult {
  requeueAfter?: number;
  finalized?: boolean;
}

/** How long to wait before looking again while content remains. */
const REMAINING_RECHECK_MS = 1000;

function timestamp(now: number): string {
  return new Date(now).toISOString().replace(/\.\d+Z$/, 'Z');
}

function groupResource(res: Resource): string {
  // Upstream prints `%s.%s` of resource and group, so core resources end in a dot.
  return `${res.plural}.${res.group}`;
}

function specFinalizers(ns: KObject): string[] {
  return ((ns.spec as INamespaceSpec | undefined)?.finalizers ?? []).slice();
}

/** Seconds until the longest graceful pod termination ends, as estimateGracefulTermination. */
function gracefulEstimateMs(items: KObject[], now: number): number {
  let max = 0;
  for (const o of items) {
    const dt = o.metadata.deletionTimestamp;
    if (!dt) continue;
    const end = Date.parse(dt);
    if (!Number.isNaN(end)) max = Math.max(max, end - now);
  }
  return max;
}

export async function deleteAllContent(
  namespace: string,
  resources: Resource[],
  api: NamespaceContentApi,
  now: number,
): Promise<{ totals: ContentTotals; estimateMs: number }> {
  const totals: ContentTotals = { remainingByResource: new Map(), remainingByFinalizer: new Map(), deleteErrors: [] };
  let estimateMs = 0;
  await Promise.all(
    resources.map(async (res) => {
      try {
        const items = await api.list(res, namespace);
        if (items.length === 0) return;
        for (const obj of items) {
          if (!obj.metadata.deletionTimestamp) await api.delete(res, namespace, obj);
        }
        // Count what is left after the deletes, as upstream re-lists to do.
        const left = await api.list(res, namespace);
        if (left.length === 0) return;
        totals.remainingByResource.set(groupResource(res), left.length);
        for (const o of left) {
          for (const f of o.metadata.finalizers ?? []) totals.remainingByFinalizer.set(f, (totals.remainingByFinalizer.get(f) ?? 0) + 1);
        }
        estimateMs = Math.max(estimateMs, gracefulEstimateMs(left, now));
      } catch (e) {
        totals.deleteErrors.push(`${groupResource(res)}: ${(e as Error).message}`);
      }
    }),
  );
  return { totals, estimateMs };
}

/** One reconcile of a Namespace; throws when content could not be deleted (retried with backoff). */
export async function syncNamespace(
  ns: KObject,
  resources: Resource[],
  api: NamespaceContentApi,
  now: number = Date.now(),
): Promise<NamespaceSyncResult> {
  if (!ns.metadata.deletionTimestamp) return {};
  const name = ns.metadata.name as string;
  let current = ns;
  const status = (current.status ?? {}) as { phase?: string; conditions?: NamespaceCondition[] };
  if (status.phase !== 'Terminating') {
    current = await api.updateStatus({ ...current, status: { ...status, phase: 'Terminating' } });
  }
  if (!specFinalizers(current).includes(KUBERNETES_FINALIZER)) return {};

  const { totals, estimateMs } = await deleteAllContent(name, resources, api, now);
  const cur = (current.status ?? {}) as { phase?: string; conditions?: NamespaceCondition[] };
  const merged = mergeConditions(cur.conditions, failureConditions(totals, timestamp(now)), timestamp(now));
  if (merged.changed) {
    current = await api.updateStatus({ ...current, status: { ...cur, phase: 'Terminating', conditions: merged.conditions } });
  }
  if (totals.deleteErrors.length) {
    throw new Error(`deleting content of namespace ${name}: ${totals.deleteErrors.sort().join('; ')}`);
  }
  if (totals.remainingByResource.size > 0) {
    return { requeueAfter: Math.max(REMAINING_RECHECK_MS, estimateMs) };
  }
  const finalizers = specFinalizers(current).filter((f) => f !== KUBERNETES_FINALIZER);
  await api.finalize({ ...current, spec: { ...(current.spec as object), finalizers } });
  return { finalized: true };
}
