import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KObject } from '../../api/types.js';
import { matchesRequirements, parseFieldSelector, parseLabelSelector, SelectorError, type Requirement } from '../../api/selectors.js';
import type { MetricsStorage, Usage } from './storage.js';

// metrics-server's pkg/api: metrics.k8s.io/v1beta1 NodeMetrics and PodMetrics (get, list, label
// selectors, every namespace), answered from the store for the nodes and pods the informers know.

export const GROUP = 'metrics.k8s.io';
export const VERSION = 'v1beta1';
const GV = `${GROUP}/${VERSION}`;

export interface Objects {
  nodes(): KObject[];
  node(name: string): KObject | undefined;
  pods(namespace?: string): KObject[];
  pod(namespace: string, name: string): KObject | undefined;
}

function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** time.Duration.String for a whole number of milliseconds: `15s`, `14.987s`, `1m0.5s`, `500ms`. */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const min = Math.floor(ms / 60_000);
  const sec = ((ms % 60_000) / 1000).toFixed(3).replace(/\.?0+$/, '');
  return min > 0 ? `${min}m${sec}s` : `${sec}s`;
}

/** resource.NewScaledQuantity(nanocores, -9).String(): the largest of n, u, m or whole cores that is exact. */
export function cpuQuantity(nanocores: number): string {
  if (nanocores === 0) return '0';
  for (const [div, suffix] of [[1e9, ''], [1e6, 'm'], [1e3, 'u']] as const) if (nanocores % div === 0) return `${nanocores / div}${suffix}`;
  return `${nanocores}n`;
}

/** resource.NewQuantity(bytes, BinarySI).String(): the largest power of 1024 that divides it exactly. */
export function memoryQuantity(bytes: number): string {
  if (bytes < 1024) return String(bytes);
  let n = bytes;
  let i = 0;
  const suffixes = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
  while (n % 1024 === 0 && i < suffixes.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n}${suffixes[i]}`;
}

function usageOf(u: Usage): { cpu: string; memory: string } {
  return { cpu: cpuQuantity(u.cpuNanocores), memory: memoryQuantity(u.memoryBytes) };
}

export function nodeMetrics(node: KObject, u: Usage, now: number): KObject {
  return {
    kind: 'NodeMetrics',
    apiVersion: GV,
    metadata: { name: node.metadata.name, creationTimestamp: rfc3339(now), ...(node.metadata.labels ? { labels: node.metadata.labels } : {}) },
    timestamp: rfc3339(u.timestamp),
    window: goDuration(u.windowMs),
    usage: usageOf(u),
  };
}

export function podMetrics(pod: KObject, containers: { name: string; usage: Usage }[], now: number): KObject {
  const latest = containers.reduce((a, b) => (b.usage.timestamp > a.usage.timestamp ? b : a));
  return {
    kind: 'PodMetrics',
    apiVersion: GV,
    metadata: {
      name: pod.metadata.name,
      namespace: pod.metadata.namespace,
      creationTimestamp: rfc3339(now),
      ...(pod.metadata.labels ? { labels: pod.metadata.labels } : {}),
    },
    timestamp: rfc3339(latest.usage.timestamp),
    window: goDuration(latest.usage.windowMs),
    containers: containers.map((c) => ({ name: c.name, usage: usageOf(c.usage) })),
  };
}

/** List items carry no kind or apiVersion, as upstream's list encoding leaves them out. */
function listItem(o: KObject): KObject {
  const { kind: _kind, apiVersion: _apiVersion, ...rest } = o;
  return rest as KObject;
}

const RESOURCE_LIST = {
  kind: 'APIResourceList',
  apiVersion: 'v1',
  groupVersion: GV,
  resources: [
    { name: 'nodes', singularName: '', namespaced: false, kind: 'NodeMetrics', verbs: ['get', 'list'] },
    { name: 'pods', singularName: '', namespaced: true, kind: 'PodMetrics', verbs: ['get', 'list'] },
  ],
};
const GROUP_DOC = { name: GROUP, versions: [{ groupVersion: GV, version: VERSION }], preferredVersion: { groupVersion: GV, version: VERSION } };

function send(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function status(res: ServerResponse, code: number, reason: string, message: string, details?: Record<string, unknown>): void {
  send(res, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code });
}

/** The label and field selectors of a list; a SelectorError names the bad one. */
function selectors(q: URLSearchParams): { labels: Requirement[]; name?: string } {
  const labels = parseLabelSelector(q.get('labelSelector') ?? '');
  let name: string | undefined;
  for (const f of parseFieldSelector(q.get('fieldSelector') ?? '')) {
    if (f.field !== 'metadata.name' || f.op === '!=') throw new SelectorError(`field label not supported: ${f.field}`);
    name = f.value;
  }
  return { labels, name };
}

export class MetricsApi {
  constructor(
    private readonly storage: MetricsStorage,
    private readonly objects: Objects,
    private readonly now: () => number = Date.now,
  ) {}

  /** Answers a metrics.k8s.io request; false for a path outside the group. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const url = new URL(req.url ?? '/', 'https://metrics-server');
    const seg = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (seg[0] !== 'apis') return false;
    if (req.method !== 'GET') {
      status(res, 405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
      return true;
    }
    if (seg.length === 1) send(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [GROUP_DOC] });
    else if (seg[1] !== GROUP) return false;
    else if (seg.length === 2) send(res, 200, { kind: 'APIGroup', apiVersion: 'v1', ...GROUP_DOC });
    else if (seg[2] !== VERSION) return false;
    else if (seg.length === 3) send(res, 200, RESOURCE_LIST);
    else {
      try {
        this.resource(seg.slice(3), url.searchParams, res);
      } catch (e) {
        if (!(e instanceof SelectorError)) throw e;
        status(res, 400, 'BadRequest', e.message);
      }
    }
    return true;
  }

  private resource(rest: string[], q: URLSearchParams, res: ServerResponse): void {
    const now = this.now();
    if (rest[0] === 'nodes' && rest.length <= 2) {
      if (rest[1] !== undefined) {
        const node = this.objects.node(rest[1]);
        const u = node && this.storage.node(rest[1]);
        if (!node || !u) return status(res, 404, 'NotFound', `nodemetrics.metrics.k8s.io "${rest[1]}" not found`, { name: rest[1], group: GROUP, kind: 'nodemetrics' });
        return send(res, 200, nodeMetrics(node, u, now));
      }
      const sel = selectors(q);
      const items: KObject[] = [];
      for (const node of this.objects.nodes()) {
        if (!matchesRequirements(sel.labels, node.metadata.labels) || (sel.name !== undefined && node.metadata.name !== sel.name)) continue;
        const u = this.storage.node(node.metadata.name!);
        if (u) items.push(listItem(nodeMetrics(node, u, now)));
      }
      return send(res, 200, { kind: 'NodeMetricsList', apiVersion: GV, metadata: {}, items });
    }
    let namespace: string | undefined;
    let tail = rest;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1];
      tail = rest.slice(2);
    }
    if (tail[0] !== 'pods' || tail.length > 2 || (tail.length === 2 && namespace === undefined)) return status(res, 404, 'NotFound', 'the server could not find the requested resource');
    if (tail[1] !== undefined) {
      const pod = this.objects.pod(namespace!, tail[1]);
      const containers = pod && this.storage.pod(namespace!, tail[1]);
      const key = `${namespace}/${tail[1]}`;
      if (!pod || !containers) return status(res, 404, 'NotFound', `podmetrics.metrics.k8s.io "${key}" not found`, { name: key, group: GROUP, kind: 'podmetrics' });
      return send(res, 200, podMetrics(pod, containers, now));
    }
    const sel = selectors(q);
    const items: KObject[] = [];
    for (const pod of this.objects.pods(namespace)) {
      if (!matchesRequirements(sel.labels, pod.metadata.labels) || (sel.name !== undefined && pod.metadata.name !== sel.name)) continue;
      const containers = this.storage.pod(pod.metadata.namespace!, pod.metadata.name!);
      if (containers) items.push(listItem(podMetrics(pod, containers, now)));
    }
    send(res, 200, { kind: 'PodMetricsList', apiVersion: GV, metadata: {}, items });
  }
}
