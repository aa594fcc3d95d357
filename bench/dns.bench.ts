// Cluster DNS benchmark: answers per second and p99 latency of a Service A query, 20,000
// queries with 32 in flight over UDP, against the CoreDNS add-on pod of a 1-node cluster (from
// the node's network namespace, to the pod IP and through the kube-dns ClusterIP). The reference,
// measured in the same run with the same load generator: the same DNS server module in a plain
// host process on loopback, answering from a static copy of the cluster's objects (no
// informers, no container, no veth, no nftables). No dnsmasq on this machine to compare with.
//
//   node dist/bench/dns.bench.js                                   the benchmark
//   node dist/bench/dns.bench.js load <host> <port> <name> <n>     one load run, JSON on stdout
//   node dist/bench/dns.bench.js serve-static <view.json>          the reference server
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import dnsPacket from 'dns-packet';
import type { KObject } from '../src/api/types.js';
import type { ClusterView } from '../src/addons/dns/records.js';
import { startDnsServer } from '../src/addons/dns/server.js';
import { NODE_FLAGS } from '../src/images/catalog.js';
import { run, startCluster, waitFor } from '../test/e2e/harness.js';

const QUERIES = 20_000;
const WARMUP = 2_000;
const IN_FLIGHT = 32;
/** A query without a reply this long is counted lost (and its slot reused). */
const LOST_AFTER_MS = 1_000;
const SELF = fileURLToPath(import.meta.url);

interface LoadResult {
  qps: number;
  p50: number;
  p99: number;
  lost: number;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;
}

/** Keeps IN_FLIGHT queries outstanding on one socket until n have been answered or lost. */
function load(host: string, port: number, name: string, n: number): Promise<LoadResult> {
  const sock = dgram.createSocket('udp4');
  const queries = Array.from({ length: IN_FLIGHT }, (_, i) =>
    dnsPacket.encode({ type: 'query', id: i, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: 'A' }] }),
  );
  const sentAt = new Array<number>(IN_FLIGHT).fill(0);
  const lat: number[] = [];
  let sent = 0;
  let lost = 0;
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const send = (slot: number) => {
      if (sent >= n) return;
      sent++;
      sentAt[slot] = performance.now();
      sock.send(queries[slot], port, host);
    };
    const finishIfDone = () => {
      if (lat.length + lost < n) return;
      clearInterval(sweep);
      sock.close();
      const secs = (performance.now() - t0) / 1000;
      lat.sort((a, b) => a - b);
      resolve({ qps: lat.length / secs, p50: pct(lat, 50), p99: pct(lat, 99), lost });
    };
    const sweep = setInterval(() => {
      const now = performance.now();
      for (let s = 0; s < IN_FLIGHT; s++) {
        if (sentAt[s] > 0 && now - sentAt[s] > LOST_AFTER_MS) {
          sentAt[s] = 0;
          lost++;
          send(s);
        }
      }
      finishIfDone();
    }, 100);
    sock.on('error', (e) => {
      clearInterval(sweep);
      reject(new Error(`DNS load on ${host}:${port}: ${e.message}`));
    });
    sock.on('message', (msg) => {
      const slot = msg.readUInt16BE(0);
      if (slot >= IN_FLIGHT || sentAt[slot] === 0) return;
      lat.push(performance.now() - sentAt[slot]);
      sentAt[slot] = 0;
      send(slot);
      finishIfDone();
    });
    sock.bind(0, () => {
      for (let s = 0; s < IN_FLIGHT; s++) send(s);
    });
  });
}

async function serveStatic(viewFile: string): Promise<void> {
  const view = JSON.parse(readFileSync(viewFile, 'utf8')) as ClusterView;
  const server = await startDnsServer({ host: '127.0.0.1', port: 0, view: () => view, podMode: 'insecure' });
  process.stdout.write(`${server.port}\n`);
  process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
}

/** Runs the load generator as its own process (in a network namespace when given). */
async function loadProcess(netns: string | undefined, host: string, port: number, name: string): Promise<LoadResult> {
  const argv = [process.execPath, SELF, 'load', host, String(port), name];
  const cmd = netns ? ['nsenter', `--net=/var/run/netns/${netns}`, ...argv] : argv;
  await run(cmd[0], [...cmd.slice(1), String(WARMUP)], process.env);
  const r = await run(cmd[0], [...cmd.slice(1), String(QUERIES)], process.env);
  if (r.code !== 0) throw new Error(`load against ${host}:${port}: ${r.stderr}`);
  return JSON.parse(r.stdout) as LoadResult;
}

function line(what: string, r: LoadResult, ref: LoadResult): string {
  return (
    `${what}: ${r.qps.toFixed(0)} answers/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, lost ${r.lost}; ` +
    `reference ${ref.qps.toFixed(0)} answers/s, p99 ${ref.p99.toFixed(2)} ms; ratio ${(r.qps / ref.qps).toFixed(2)} (answers/s), ${(r.p99 / ref.p99).toFixed(2)} (p99)`
  );
}

async function main(): Promise<void> {
  const c = await startCluster('dnsbench', { nodes: 1 });
  const dir = mkdtempSync(join(tmpdir(), 'skiff-dnsbench-'));
  let reference: ReturnType<typeof spawn> | undefined;
  try {
    await c.ok(['create', 'service', 'clusterip', 'web', '--tcp=80:80']);
    await waitFor('the coredns Deployment', async () => (await c.kubectl(['-n', 'kube-system', 'get', 'deployment/coredns'])).code === 0, 60_000);
    await c.ok(['-n', 'kube-system', 'rollout', 'status', 'deployment/coredns', '--timeout=120s']);
    const podIP = (await c.ok(['-n', 'kube-system', 'get', 'pods', '-l', 'k8s-app=kube-dns', '-o', 'jsonpath={.items[0].status.podIP}'])).trim();
    const items = async (what: string) => (JSON.parse(await c.ok(['get', what, '-A', '-o', 'json'])) as { items: KObject[] }).items;
    const view: ClusterView = { services: await items('services'), endpointSlices: await items('endpointslices'), pods: await items('pods'), namespaces: await items('namespaces') };
    const viewFile = join(dir, 'view.json');
    writeFileSync(viewFile, JSON.stringify(view));

    // The reference server runs with the same V8 flags as the pod's program.
    reference = spawn(process.execPath, [...NODE_FLAGS, SELF, 'serve-static', viewFile], { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = await new Promise<number>((resolve, reject) => {
      reference!.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
      reference!.once('exit', (code) => reject(new Error(`reference DNS server exited with ${code}`)));
    });

    const name = 'web.default.svc.cluster.local';
    const ref = await loadProcess(undefined, '127.0.0.1', port, name);
    const pod = await loadProcess(`skiff.${c.name}.n1`, podIP, 53, name);
    const svc = await loadProcess(`skiff.${c.name}.n1`, '10.96.0.10', 53, name);
    console.log(`reference: same server module, static view, host loopback: ${ref.qps.toFixed(0)} answers/s, p50 ${ref.p50.toFixed(2)} ms, p99 ${ref.p99.toFixed(2)} ms`);
    console.log(line(`DNS pod by pod IP (${QUERIES} A queries, ${IN_FLIGHT} in flight)`, pod, ref));
    console.log(line(`DNS pod through kube-dns 10.96.0.10`, svc, ref));
  } finally {
    reference?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
    await c.down();
  }
}

const [mode, ...rest] = process.argv.slice(2);
const entry =
  mode === 'load'
    ? load(rest[0], Number(rest[1]), rest[2], Number(rest[3])).then((r) => process.stdout.write(JSON.stringify(r)))
    : mode === 'serve-static'
      ? serveStatic(rest[0])
      : main();
entry.catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});
