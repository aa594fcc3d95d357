import type { KObject, OwnerReference } from '../../api/types.js';
import type { Resource } from '../../client/client.js';

// The GC's view of ownership (pkg/controller/garbagecollector/graph.go): every object
// by uid, and for every owner uid the uids of the objects that name it. An owner that
// was never observed still has its dependents indexed, which is how dangling
// references are found.

export interface GraphNode {
  obj: KObject;
  res: Resource;
}

export class OwnerGraph {
  private nodes = new Map<string, GraphNode>();
  private dependentsByOwner = new Map<string, Set<string>>();

  upsert(obj: KObject, res: Resource): void {
    const uid = obj.metadata.uid;
    if (!uid) return;
    const prev = this.nodes.get(uid);
    if (prev) this.unindex(uid, prev.obj);
    this.nodes.set(uid, { obj, res });
    for (const ref of obj.metadata.ownerReferences ?? []) {
      let deps = this.dependentsByOwner.get(ref.uid);
      if (!deps) this.dependentsByOwner.set(ref.uid, (deps = new Set()));
      deps.add(uid);
    }
  }

  remove(obj: KObject): void {
    const uid = obj.metadata.uid;
    if (!uid) return;
    const prev = this.nodes.get(uid);
    if (prev) this.unindex(uid, prev.obj);
    this.nodes.delete(uid);
  }

  get(uid: string): GraphNode | undefined {
    return this.nodes.get(uid);
  }

  /** Live objects whose ownerReferences name ownerUid. */
  dependents(ownerUid: string): GraphNode[] {
    const out: GraphNode[] = [];
    for (const d of this.dependentsByOwner.get(ownerUid) ?? []) {
      const n = this.nodes.get(d);
      if (n) out.push(n);
    }
    return out;
  }

  get size(): number {
    return this.nodes.size;
  }

  private unindex(uid: string, obj: KObject): void {
    for (const ref of obj.metadata.ownerReferences ?? []) {
      const deps = this.dependentsByOwner.get(ref.uid);
      if (!deps) continue;
      deps.delete(uid);
      if (deps.size === 0) this.dependentsByOwner.delete(ref.uid);
    }
  }
}

export function refTo(obj: KObject, ownerUid: string): OwnerReference | undefined {
  return (obj.metadata.ownerReferences ?? []).find((r) => r.uid === ownerUid);
}
