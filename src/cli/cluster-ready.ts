// What `skiff up` waits for before it returns, as kind's `--wait` does for its control plane:
// every node registered and Ready, cluster DNS answering from inside the cluster network, and the
// ingress controller serving on its address. Each step is a check polled until it holds or its
// time runs out; a step that fails is named with what it last saw and what explains it.
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { KObject } from '../api/types.js';
import type { ApiClient } from '../client/client.js';
import { ADDON_NAMESPACE as DNS_NAMESPACE, KUBE_DNS_SERVICE } from '../controllers/addons/coredns.js';
import { CONTROLLER_NAME as INGRESS_SERVICE, CONTROLLER_SELECTOR, INGRESS_NAMESPACE } from '../controllers/addons/ingress-nginx.js';
import { EVENTS, NODES, PODS, SERVICES, type Event } from '../client/resources.js';

const DNS_POD_SELECTOR = `k8s-app=${KUBE_DNS_SERVICE}`;
const INGRESS_POD_SELECTOR = Object.entries(CONTROLLER_SELECTOR)
  .map(([k, v]) => `${k}=${v}`)
  .join(',');

/** One check: done with a detail for the progress line, or not yet with the reason. */
export type CheckResult = { done: true; detail: string } | { done: false; reason: string };

export interface ReadyStep {
  /** The step in the progress line ("Nodes", "Cluster DNS"). */
  title: string;
  check(): Promise<CheckResult>;
  /** What explains a failure: the end of a log, the events of the pods involved. */
  diagnose(): Promise<string>;
  /** Stops what the step started (a probe process). */
  close?(): void;
}

export class StepFailed extends Error {
  override name = 'StepFailed';
  constructor(
    readonly step: string,
    message: string,
  ) {
    super(message);
  }
}

/** Each look at a step is an API request or a connection: often enough, without loading the control plane. */
const POLL_MS = 50;

/** Polls the step until it holds; throws StepFailed with the last reason and the diagnosis at the deadline. */
export async function waitForStep(step: ReadyStep, deadline: number, limitText: string): Promise<string> {
  let last = 'not checked yet';
  for (;;) {
    let r: CheckResult;
    try {
      r = await step.check();
    } catch (e) {
      r = { done: false, reason: (e as Error).message };
    }
    if (r.done) return r.detail;
    last = r.reason;
    if (Date.now() >= deadline) {
      let why = '';
      try {
        why = await step.diagnose();
      } catch (e) {
        why = `(could not gather diagnostics: ${(e as Error).message})`;
      }
      throw new StepFailed(step.title, `${step.title}: not ready within ${limitText} (last: ${last})${why ? `\n${why}` : ''}`);
    }
    await new Promise((res) => setTimeout(res, POLL_MS));
  }
}

function condition(obj: KObject, type: string): { status?: string; reason?: string; message?: string } | undefined {
  const conds = ((obj.status as { conditions?: { type: string; status?: string; reason?: string; message?: string }[] } | undefined)?.conditions) ?? [];
  return conds.find((c) => c.type === type);
}

/** Every one of `count` nodes registered and Ready. */
export function nodesStep(client: ApiClient, count: number, agentLogTail: () => string): ReadyStep {
  return {
    title: 'Nodes',
    async check() {
      const list = await client.list(NODES);
      const ready = list.items.filter((n) => condition(n, 'Ready')?.status === 'True');
      if (ready.length >= count) return { done: true, detail: `${count} of ${count} Ready` };
      return { done: false, reason: `${list.items.length} of ${count} registered, ${ready.length} Ready` };
    },
    async diagnose() {
      return agentLogTail();
    },
  };
}

/**
 * Cluster DNS answers from inside the cluster network: a probe process in node 1's network
 * namespace asks the kube-dns Service for `kubernetes.default.svc.<domain>` until the answer is
 * the kubernetes Service's address, which takes the DNS pod Ready, its endpoints published and
 * the node's Service rules programmed.
 */
export function dnsStep(client: ApiClient, enterNode: string[], dnsIP: string, apiIP: string, domain: string): ReadyStep {
  const script = fileURLToPath(new URL('./dns-probe.js', import.meta.url));
  let child: ChildProcess | undefined;
  let state: CheckResult = { done: false, reason: 'no answer yet' };
  const start = () => {
    const argv = [...enterNode, process.execPath, script, dnsIP, `kubernetes.default.svc.${domain}`, apiIP];
    const c = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    let out = '';
    c.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const lines = out.split('\n');
      out = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith('ok ')) state = { done: true, detail: `kubernetes.default answers ${line.slice(3)} from ${dnsIP}` };
        else if (line.startsWith('waiting ')) state = { done: false, reason: line.slice(8) };
      }
    });
    c.stderr!.resume();
    c.on('error', (e) => (state = { done: false, reason: `starting the DNS probe: ${e.message}` }));
    c.on('exit', () => {
      if (child === c) child = undefined;
    });
  };
  return {
    title: 'Cluster DNS',
    async check() {
      if (!state.done && !child) start();
      return state;
    },
    diagnose: () => podEvents(client, DNS_NAMESPACE, DNS_POD_SELECTOR),
    close() {
      child?.kill('SIGKILL');
      child = undefined;
    },
  };
}

/** The ingress controller answers HTTP on its LoadBalancer address (404 from its default backend). */
export function ingressStep(client: ApiClient): ReadyStep {
  return {
    title: 'Ingress controller',
    async check() {
      const svc = await client.get(SERVICES, INGRESS_NAMESPACE, INGRESS_SERVICE).catch(() => undefined);
      if (!svc) return { done: false, reason: `Service ${INGRESS_NAMESPACE}/${INGRESS_SERVICE} not created yet` };
      const type = svc.spec?.type ?? 'ClusterIP';
      // A user who made the Service something else (the add-on keeps such edits) has no address
      // on the host to try: the controller serving is then its pods being Ready.
      if (type !== 'LoadBalancer') return readyPods(client, INGRESS_NAMESPACE, INGRESS_POD_SELECTOR, `Service ${INGRESS_SERVICE} is ${type}`);
      const ip = svc.status?.loadBalancer?.ingress?.[0]?.ip;
      if (!ip) return { done: false, reason: `Service ${INGRESS_NAMESPACE}/${INGRESS_SERVICE} has no external address yet` };
      const r = await httpStatus(ip, 80);
      if (r.status === undefined) return { done: false, reason: `http://${ip}/: ${r.error}` };
      // A 503 or 502 is the publisher's or a proxy's word that no controller serves yet.
      if (r.status === 404 && r.server?.startsWith('nginx')) return { done: true, detail: `http://${ip}/ answers 404` };
      return { done: false, reason: `http://${ip}/ answered ${r.status}` };
    },
    diagnose: () => podEvents(client, INGRESS_NAMESPACE, INGRESS_POD_SELECTOR),
  };
}

async function readyPods(client: ApiClient, namespace: string, selector: string, why: string): Promise<CheckResult> {
  const pods = (await client.list(PODS, namespace, { labelSelector: selector })).items;
  const ready = pods.filter((p) => condition(p, 'Ready')?.status === 'True').length;
  if (ready > 0) return { done: true, detail: `${ready} of ${pods.length} pods Ready (${why})` };
  return { done: false, reason: `${ready} of ${pods.length} pods Ready (${why})` };
}

function httpStatus(host: string, port: number): Promise<{ status?: number; server?: string; error?: string }> {
  return new Promise((resolve) => {
    const req = request({ host, port, path: '/', method: 'GET', agent: false, timeout: 1000, headers: { 'user-agent': 'skiff-up' } }, (res) => {
      res.resume();
      const server = String(res.headers.server ?? '');
      res.on('end', () => resolve({ status: res.statusCode, server }));
      res.on('error', (e) => resolve({ error: e.message }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 1s')));
    req.on('error', (e) => resolve({ error: e.message }));
    req.end();
  });
}

const EVENT_LINES = 15;

/** The pods of a selector with their phase, and their newest events, like `kubectl describe` ends. */
export async function podEvents(client: ApiClient, namespace: string, selector: string): Promise<string> {
  const pods = (await client.list(PODS, namespace, { labelSelector: selector })).items;
  if (pods.length === 0) return `no pod in ${namespace} matches ${selector}`;
  const names = new Set(pods.map((p) => p.metadata.name));
  const events = (await client.list(EVENTS, namespace)).items
    .filter((e) => names.has(e.involvedObject.name ?? ''))
    .sort((a, b) => stamp(a) - stamp(b))
    .slice(-EVENT_LINES);
  const lines = pods.map((p) => {
    const st = p.status;
    const cs = (st?.containerStatuses ?? []).map((c) => `${c.name} ${c.ready ? 'ready' : Object.entries(c.state ?? {}).map(([k, v]) => (v as { reason?: string }).reason ?? k).join('') || 'not ready'}`);
    return `  pod ${namespace}/${p.metadata.name}: ${st?.phase ?? 'Unknown'}${cs.length ? ` (${cs.join(', ')})` : ''}`;
  });
  for (const ev of events) {
    lines.push(`  ${ev.type ?? ''} ${ev.reason ?? ''} pod/${ev.involvedObject.name ?? ''}: ${ev.message ?? ''}`);
  }
  return `pods and events:\n${lines.join('\n')}`;
}

function stamp(e: Event): number {
  return Date.parse(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp ?? '') || 0;
}
