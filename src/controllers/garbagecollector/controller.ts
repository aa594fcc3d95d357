import { KINDS } from '../../api/kinds.js';
import type { KObject, OwnerReference } from '../../api/types.js';
import { groupVersionOf } from '../../api/types.js';
import { isConflict, isNotFound, resourceOf, type ApiClient, type Resource } from '../../client/client.js';
import type { SharedInformers } from '../../client/informer.js';
import { runController, type RunningController } from '../../client/loop.js';
import { metadataListPatch } from '../patches.js';
import { decide, ownerStateOf, type GcAction, type OwnerState } from './decide.js';
import { OwnerGraph, type GraphNode } from './graph.js';
import type { Logger } from '../../log.js';

// Wires the GC decision to informers on every served kind. Work items are object uids.

/** The resource an owner reference points at, or undefined for kinds this cluster does not serve. */
export function resourceOfOwner(ref: OwnerReference): Resource | undefined {
  const { group, version } = groupVersionOf(ref.apiVersion);
  const def = KINDS.find((d) => d.group === group && d.kind === ref.kind);
  if (!def) return undefined;
  return resourceOf(def, def.versions.includes(version) ? version : def.storageVersion);
}

function describe(n: GraphNode): string {
  const m = n.obj.metadata;
  return `${n.res.plural}${n.res.group ? `.${n.res.group}` : ''} ${m.namespace ? `${m.namespace}/` : ''}${m.name}`;
}

function ignoreGone(e: unknown): void {
  // The object went away or was replaced meanwhile: the next event re-evaluates it.
  if (isNotFound(e) || isConflict(e)) return;
  throw e;
}

export function startGarbageCollector(client: ApiClient, informers: SharedInformers, log?: Logger): RunningController {
  const graph = new OwnerGraph();
  const kinds = KINDS.filter((d) => (d.verbs ?? []).includes('delete') && (d.verbs ?? []).includes('watch'));
  const infs = kinds.map((d) => {
    const res = resourceOf(d);
    const inf = informers.informer(res);
    // Registered before the loop's handler, so the graph is current when keys are computed.
    inf.addHandler({ add: (o) => graph.upsert(o, res), update: (_o, n) => graph.upsert(n, res), delete: (o) => graph.remove(o) });
    return inf;
  });

  async function ownerState(item: KObject, ref: OwnerReference): Promise<OwnerState> {
    const cached = graph.get(ref.uid);
    if (cached) return ownerStateOf(cached.obj, ref.uid);
    const res = resourceOfOwner(ref);
    // An owner of a kind we cannot look up is never treated as absent.
    if (!res) return 'solid';
    // Not cached yet is not proof of absence (the owner's informer may lag): ask the API.
    try {
      const live = await client.get(res, res.namespaced ? item.metadata.namespace : undefined, ref.name);
      return ownerStateOf(live, ref.uid);
    } catch (e) {
      if (isNotFound(e)) return 'dangling';
      throw e;
    }
  }

  async function patchList(n: GraphNode, field: 'ownerReferences' | 'finalizers', next: unknown[]): Promise<void> {
    const m = n.obj.metadata;
    await client.patch(n.res, n.res.namespaced ? m.namespace : undefined, m.name as string, 'json', metadataListPatch(n.obj, field, next));
  }

  async function apply(n: GraphNode, act: GcAction, enqueue: (uid: string) => void): Promise<void> {
    const m = n.obj.metadata;
    const ns = n.res.namespaced ? m.namespace : undefined;
    switch (act.type) {
      case 'delete':
        await client
          .delete(n.res, ns, m.name as string, { propagationPolicy: act.policy, preconditions: { uid: m.uid } })
          .catch(ignoreGone);
        return;
      case 'removeFinalizer': {
        const old = m.finalizers ?? [];
        await patchList(n, 'finalizers', old.filter((f) => f !== act.finalizer)).catch(ignoreGone);
        return;
      }
      case 'removeOwnerRefs': {
        const old = m.ownerReferences ?? [];
        await patchList(n, 'ownerReferences', old.filter((r) => !act.uids.includes(r.uid))).catch(ignoreGone);
        return;
      }
      case 'orphanDependents':
        for (const d of act.dependents) {
          const dn = graph.get(d.metadata.uid as string);
          if (!dn) continue;
          const old = dn.obj.metadata.ownerReferences ?? [];
          await patchList(dn, 'ownerReferences', old.filter((r) => r.uid !== m.uid)).catch((e) => {
            if (!isNotFound(e)) throw new Error(`orphaning ${describe(dn)}: ${(e as Error).message}`, { cause: e });
          });
        }
        return;
      case 'enqueue':
        for (const u of act.uids) enqueue(u);
        return;
    }
  }

  let loop: RunningController | undefined = undefined;
  loop = runController({
    log,
    name: 'garbagecollector',
    informers: infs,
    workers: 4,
    keyOf(obj) {
      const uid = obj.metadata.uid;
      if (!uid) return undefined;
      // The object itself, the owners it names (their foreground wait may be over) and
      // its dependents (their owner may be gone).
      const keys = [uid];
      for (const r of obj.metadata.ownerReferences ?? []) keys.push(r.uid);
      for (const d of graph.dependents(uid)) keys.push(d.obj.metadata.uid as string);
      return keys;
    },
    async reconcile(uid) {
      const n = graph.get(uid);
      if (!n) return;
      const owners = new Map<string, OwnerState>();
      if (!n.obj.metadata.deletionTimestamp) {
        for (const ref of n.obj.metadata.ownerReferences ?? []) owners.set(ref.uid, await ownerState(n.obj, ref));
      }
      const dependents = graph.dependents(uid).map((d) => d.obj);
      for (const act of decide(n.obj, owners, dependents)) {
        try {
          await apply(n, act, (u) => loop?.queue.add(u));
        } catch (e) {
          throw new Error(`${act.type} on ${describe(n)}: ${(e as Error).message}`, { cause: e });
        }
      }
    },
  });
  return loop;
}
