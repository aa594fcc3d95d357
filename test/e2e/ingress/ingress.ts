// What the ingress end-to-end tests share: a cluster whose ingress controller is up and published
// on a LoadBalancer address of its own, the Ingress's address from its status, HTTP(S) from the
// host through that address, and small backends that name themselves.
import { execFile, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { readHostPortsState } from '../../../src/node/network/host-ports/status-file.js';
import { startCluster, waitFor, type Cluster } from '../harness.js';
import { jsonpath } from '../scenarios/net.js';

export const INGRESS_NS = 'ingress-nginx';
export const CONTROLLER = 'ingress-nginx-controller';

/**
 * Every cluster on the machine starts its pool at 127.0.10.1, and every cluster with nodes now
 * has the ingress controller's LoadBalancer: two clusters would fight for 127.0.10.1:80. The
 * test moves its controller to an address of its own (as a user pins a MetalLB address), out
 * of the range hostports.test.ts picks from (150–250).
 */
function spareAddress(): string {
  return `127.0.10.${20 + Math.floor(Math.random() * 120)}`;
}

/** Whether this cluster's host-port publisher holds address:port for the controller's Service. */
function published(c: Cluster, address: string, port: number): boolean {
  const s = readHostPortsState(join(c.env.SKIFF_HOME!, 'clusters', c.name));
  return !!s?.published.some((p) => p.address === address && p.port === port && p.service === `${INGRESS_NS}/${CONTROLLER}`);
}

/** The controller's address, once the controller is Ready and the host reaches it on 80 and 443. */
export async function ingressReady(c: Cluster): Promise<string> {
  const svc = ['-n', INGRESS_NS, 'svc', CONTROLLER];
  const ip = spareAddress();
  await waitFor('the ingress-nginx add-on Service', async () => (await c.kubectl(['get', ...svc])).code === 0, 60_000);
  await c.ok(['patch', ...svc, '--type=merge', '-p', JSON.stringify({ spec: { loadBalancerIP: ip } })]);
  await c.ok(['patch', ...svc, '--subresource=status', '--type=merge', '-p', '{"status":{"loadBalancer":null}}']);
  // A spec write is what hands out a pool address again; this one asks for ours.
  await c.ok(['annotate', '--overwrite', ...svc, 'skiff.test/address=pinned']);
  await waitFor(`${CONTROLLER} at ${ip}`, async () => (await jsonpath(c, ['get', ...svc], '{.status.loadBalancer.ingress[0].ip}')) === ip);
  await c.ok(['rollout', 'status', '-n', INGRESS_NS, `deployment/${CONTROLLER}`, '--timeout=120s']);
  await waitFor(`${ip}:80 and :443 published on the host`, async () => published(c, ip, 80) && published(c, ip, 443), 60_000);
  return ip;
}

/** A cluster with `nodes` nodes and its ingress controller ready at its own address. */
export async function startIngressCluster(prefix: string, nodes: number, env?: NodeJS.ProcessEnv): Promise<{ c: Cluster; lb: string }> {
  const c = await startCluster(prefix, { nodes, env });
  try {
    return { c, lb: await ingressReady(c) };
  } catch (e) {
    await c.down().catch(() => undefined);
    throw e;
  }
}

/** The Ingress's address as a user reads it: status.loadBalancer.ingress[0].ip, waited for. */
export async function ingressAddress(c: Cluster, name: string, ns = 'default'): Promise<string> {
  let ip = '';
  await waitFor(`an address in the status of Ingress ${ns}/${name}`, async () => {
    ip = await jsonpath(c, ['get', 'ingress', '-n', ns, name], '{.status.loadBalancer.ingress[0].ip}');
    return ip !== '';
  });
  return ip;
}

export interface CurlResult {
  code: number;
  /** Response body (stdout). */
  out: string;
  err: string;
  status: number;
  headers: Record<string, string>;
}

/**
 * curl on the host, as the checks type it. The status and headers of the last response are
 * read from a header dump; `-s` and `--max-time` are always on.
 */
export function curl(args: string[], timeoutS = 10): Promise<CurlResult> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-ing-curl-'));
  const dump = join(dir, 'headers');
  return new Promise((resolve) => {
    execFile('curl', ['-s', '--max-time', String(timeoutS), '-D', dump, ...args], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      let raw = '';
      try {
        raw = readFileSync(dump, 'utf8');
      } catch {
        // No response at all: status 0.
      }
      rmSync(dir, { recursive: true, force: true });
      const blocks = raw.split(/\r?\n\r?\n/).filter((b) => b.startsWith('HTTP/'));
      const last = blocks[blocks.length - 1] ?? '';
      const [first, ...lines] = last.split(/\r?\n/);
      const headers: Record<string, string> = {};
      for (const l of lines) {
        const i = l.indexOf(':');
        if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      resolve({ code: typeof code === 'number' ? code : 1, out: String(stdout), err: String(stderr), status: Number(/^HTTP\/\S+ (\d+)/.exec(first ?? '')?.[1] ?? 0), headers });
    });
  });
}

/** GET http://<lb><path> with a Host header. */
export function get(lb: string, host: string, path: string, extra: string[] = []): Promise<CurlResult> {
  return curl(['-H', `Host: ${host}`, ...extra, `http://${lb}${path}`]);
}

/**
 * Sends `send()` until `ok` holds for its reply (the Ingress is programmed), and returns that
 * reply; on a timeout the error names the last status seen.
 */
export async function untilReply(what: string, send: () => Promise<CurlResult>, ok: (r: CurlResult) => boolean, timeoutMs?: number): Promise<CurlResult> {
  let last: CurlResult | undefined;
  try {
    await waitFor(what, async () => ok((last = await send())), timeoutMs);
  } catch (e) {
    throw new Error(`${(e as Error).message} (last status: ${last?.status ?? 'none'})`);
  }
  return last!;
}

/** A self-signed certificate for `hosts` (the first is the CN) made with openssl, as the checks say. */
export function makeCert(hosts: string[]): { crt: string; key: string; dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-ing-tls-'));
  const crt = join(dir, 'tls.crt');
  const key = join(dir, 'tls.key');
  const r = execFileSyncQuiet('openssl', [
    'req', '-x509', '-nodes', '-newkey', 'rsa:2048', '-days', '2', '-keyout', key, '-out', crt,
    '-subj', `/CN=${hosts[0]}/O=skiff-test`, '-addext', `subjectAltName=${hosts.map((h) => `DNS:${h}`).join(',')}`,
  ]);
  if (r) throw new Error(`openssl req for ${hosts.join(',')}: ${r}`);
  return { crt, key, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function execFileSyncQuiet(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? '' : `${r.stderr}`;
}

/** `kubectl create secret tls … --dry-run=client -o yaml | kubectl apply -f -`, as check 000 says. */
export async function applyTLSSecret(c: Cluster, name: string, cert: { crt: string; key: string }, ns = 'default'): Promise<void> {
  const yaml = await c.ok(['create', 'secret', 'tls', name, '-n', ns, `--cert=${cert.crt}`, `--key=${cert.key}`, '--dry-run=client', '-o', 'yaml']);
  await c.ok(['apply', '-f', '-'], yaml);
}

/** The SHA-256 fingerprint of the certificate the server at ip:443 presents for `servername`. */
export function servedCertificate(ip: string, servername: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: ip, port: 443, servername, rejectUnauthorized: false, timeout: 3000 }, () => {
      const fp = s.getPeerCertificate().fingerprint256;
      s.end();
      resolve(fp);
    });
    s.on('timeout', () => s.destroy(new Error(`TLS to ${ip}:443 (${servername}): no handshake within 3 s`)));
    s.on('error', reject);
  });
}

/** The SHA-256 fingerprint of a PEM certificate file, in the form TLS sockets report it. */
export function fileFingerprint(crtPath: string): string {
  return new X509Certificate(readFileSync(crtPath)).fingerprint256;
}

/** A Deployment of hashicorp/http-echo answering `text` on 5678, and its Service on port 80. */
export function echoApp(name: string, text = name, replicas = 1): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: ${replicas}
  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
        app: ${name}
    spec:
      containers:
        - name: echo
          image: hashicorp/http-echo
          args: ["-listen=:5678", "-text=${text}"]
          ports:
            - containerPort: 5678
---
apiVersion: v1
kind: Service
metadata:
  name: ${name}
spec:
  selector:
    app: ${name}
  ports:
    - port: 80
      targetPort: 5678
`;
}

/** One Ingress backend reference to a Service on port 80. */
export function backend(service: string, port = 80): { service: { name: string; port: { number: number } } } {
  return { service: { name: service, port: { number: port } } };
}

/** Writes an object list as JSON (kubectl reads it as YAML) and applies it. */
export async function applyObjects(c: Cluster, objects: unknown[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-ing-obj-'));
  try {
    const file = join(dir, 'objects.json');
    writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
    await c.ok(['apply', '-f', file]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** An Ingress object in the default namespace. */
export function ingress(name: string, spec: Record<string, unknown>, annotations?: Record<string, string>): Record<string, unknown> {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name, ...(annotations ? { annotations } : {}) }, spec };
}

/** Rollout of several Deployments, each to be available. */
export async function rolledOut(c: Cluster, deployments: string[], ns = 'default'): Promise<void> {
  for (const d of deployments) await c.ok(['rollout', 'status', '-n', ns, `deployment/${d}`, '--timeout=120s']);
}
