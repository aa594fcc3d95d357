// What the network scenario checks have in common: asking from inside a pod (kubectl exec, as a
// user types it), asking from the host, and reading which pod answered.
import { request } from 'node:http';
import { join } from 'node:path';
import { SCENARIOS, type Cluster, type Result } from '../harness.js';

export function scenario(dir: string, file: string): string {
  return join(SCENARIOS, dir, file);
}

/** `kubectl exec <target> -- <cmd…>`, whatever its exit code. */
export function exec(c: Cluster, target: string, cmd: string[], ns = 'default'): Promise<Result> {
  return c.kubectl(['exec', '-n', ns, target, '--', ...cmd]);
}

/** `kubectl exec` that must succeed; returns stdout. */
export async function execOk(c: Cluster, target: string, cmd: string[], ns = 'default'): Promise<string> {
  const r = await exec(c, target, cmd, ns);
  if (r.code !== 0) throw new Error(`kubectl exec ${target} -- ${cmd.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

export async function jsonpath(c: Cluster, args: string[], path: string): Promise<string> {
  return (await c.ok([...args, '-o', `jsonpath=${path}`])).trim();
}

export async function podNames(c: Cluster, selector: string, ns = 'default'): Promise<string[]> {
  return (await jsonpath(c, ['get', 'pods', '-n', ns, '-l', selector], '{.items[*].metadata.name}')).split(' ').filter(Boolean);
}

export interface HostReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request from the host namespace (as curl on the host), failing after timeoutMs. */
export function hostHttp(
  url: string,
  o: { method?: string; body?: string; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<HostReply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: o.method ?? 'GET', headers: { connection: 'close', ...o.headers }, timeout: o.timeoutMs ?? 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${o.method ?? 'GET'} ${url}: no answer within ${o.timeoutMs ?? 5000} ms`)));
    req.on('error', reject);
    req.end(o.body);
  });
}

/** Whether an HTTP GET from the host answers with 200 (any failure is false). */
export async function hostAnswers(url: string, match?: RegExp): Promise<boolean> {
  try {
    const r = await hostHttp(url, { timeoutMs: 3000 });
    return r.status === 200 && (!match || match.test(r.body));
  } catch {
    return false;
  }
}

/**
 * Sends requests until every expected answer has been seen (or `max` requests went out), and
 * returns the answers seen: how a user checks that traffic reaches all pods.
 */
export async function collect(ask: () => Promise<string>, expected: string[], max: number): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < max && !expected.every((e) => seen.has(e)); i++) seen.add((await ask()).trim());
  return seen;
}
