import type { Node, Pod } from '../client/resources.js';
import { NodeInfo, podInfo, podSpec } from './nodeinfo.js';

// The scheduler's view of where pods are (pkg/scheduler/internal/cache): pods bound to nodes
// as the informer reports them, plus pods the scheduler has "assumed" onto a node while their
// binding is in flight, so the next decision already counts them.

function isTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

export class SchedulerCache {
  private nodes = new Map<string, NodeInfo>();
  /** pod uid → the node it counts against */
  private placement = new Map<string, string>();
  private assumed = new Set<string>();

  setNode(node: Node): void {
    this.info(node.metadata.name as string).setNode(node);
  }

  removeNode(name: string): void {
    const info = this.nodes.get(name);
    if (!info) return;
    info.setNode(undefined);
    if (info.pods.size === 0) this.nodes.delete(name);
  }

  /** A pod as the informer reports it (added or updated). */
  observePod(pod: Pod): void {
    const uid = pod.metadata.uid as string;
    const nodeName = podSpec(pod).nodeName;
    if (!nodeName || isTerminal(pod)) {
      // An unbound pod we assumed is still being bound: keep counting it.
      if (!this.assumed.has(uid)) this.remove(uid);
      return;
    }
    this.assumed.delete(uid);
    this.place(uid, nodeName, pod);
  }

  deletePod(pod: Pod): void {
    const uid = pod.metadata.uid as string;
    this.assumed.delete(uid);
    this.remove(uid);
  }

  assume(pod: Pod, nodeName: string): void {
    const uid = pod.metadata.uid as string;
    this.assumed.add(uid);
    this.place(uid, nodeName, pod);
  }

  /** The binding failed: the pod no longer counts against the node. */
  forget(uid: string): void {
    if (!this.assumed.delete(uid)) return;
    this.remove(uid);
  }

  isAssumed(uid: string | undefined): boolean {
    return uid !== undefined && this.assumed.has(uid);
  }

  /** Nodes that exist, by name. The NodeInfos are live: use them before awaiting anything. */
  snapshot(): NodeInfo[] {
    const out: NodeInfo[] = [];
    for (const info of this.nodes.values()) if (info.node) out.push(info);
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  nodeInfo(name: string): NodeInfo | undefined {
    return this.nodes.get(name);
  }

  private info(name: string): NodeInfo {
    let info = this.nodes.get(name);
    if (!info) {
      info = new NodeInfo(name);
      this.nodes.set(name, info);
    }
    return info;
  }

  private place(uid: string, nodeName: string, pod: Pod): void {
    const prev = this.placement.get(uid);
    if (prev && prev !== nodeName) this.remove(uid);
    this.info(nodeName).addPod(podInfo(pod));
    this.placement.set(uid, nodeName);
  }

  private remove(uid: string): void {
    const name = this.placement.get(uid);
    if (name === undefined) return;
    this.placement.delete(uid);
    const info = this.nodes.get(name);
    if (!info) return;
    info.removePod(uid);
    if (!info.node && info.pods.size === 0) this.nodes.delete(name);
  }
}
