// Rule programming of the Service proxy: with 1,000 and 10,000 Services in the table, the time
// from "one Service's endpoints changed" to the kernel having the new rules (ServiceProxy.syncChanged,
// as the node agent calls it: the changed Service's rules and one nft transaction), next to the time a full rebuild of
// the same table takes in the same run (the reference: what a proxy that rewrites everything,
// like upstream's iptables mode, pays for every change). Runs in a network namespace of its own.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ServiceProxy } from '../src/node/proxy/apply.js';
import type { EndpointSliceJSON, ServiceJSON } from '../src/node/proxy/rules.js';

const NODE = { nodeName: 'bench-node', nodeIPs: ['172.18.0.2'], clusterCIDR: '10.244.0.0/16' };
const CHANGES = 20;

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

function ip(i: number, base: number): string {
  return `10.${base + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
}

function world(n: number): { services: ServiceJSON[]; slices: EndpointSliceJSON[] } {
  const services: ServiceJSON[] = [];
  const slices: EndpointSliceJSON[] = [];
  for (let i = 0; i < n; i++) {
    const name = `svc-${i}`;
    services.push({
      metadata: { namespace: 'bench', name },
      spec: { type: i % 10 === 0 ? 'NodePort' : 'ClusterIP', clusterIP: ip(i, 96), ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: i % 10 === 0 ? 30000 + (i / 10) : undefined }] },
    });
    slices.push({
      metadata: { namespace: 'bench', name: `${name}-abcde`, labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      endpoints: [0, 1].map((k) => ({ addresses: [ip(2 * i + k, 244)], conditions: { ready: true }, nodeName: 'bench-node' })),
      ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
    });
  }
  return { services, slices };
}

async function inner(): Promise<void> {
  for (const n of (process.env.BENCH_SERVICES ?? '1000,10000').split(',').map(Number)) {
    const { services, slices } = world(n);
    const proxy = new ServiceProxy(NODE, { conntrack: null });
    const full: number[] = [];
    for (let r = 0; r < 3; r++) {
      const t = performance.now();
      await proxy.start(services, slices);
      full.push(performance.now() - t);
    }
    // One Service gains or loses an endpoint, as when one pod becomes Ready or goes away: a
    // ClusterIP Service (9 in 10 here) and a NodePort Service (which keeps chains of its own).
    const change = async (i: number, k: number): Promise<number> => {
      const s = slices[i];
      const eps = s.endpoints!;
      slices[i] = {
        ...s,
        endpoints: k % 2 === 0 ? [...eps, { addresses: [ip(2 * n + k, 244)], conditions: { ready: true }, nodeName: 'bench-node' }] : eps.slice(0, 2),
      };
      const t = performance.now();
      // As the node agent does: only the changed Service, with its slices, goes to the proxy.
      const changed = new Map([[`bench/svc-${i}`, { svc: services[i], slices: [slices[i]] }]]);
      const wrote = await proxy.syncChanged(changed, () => ({ services, slices }));
      if (!wrote) throw new Error(`change ${k} of service ${i} wrote nothing`);
      return performance.now() - t;
    };
    const one: number[] = [];
    const nodePort: number[] = [];
    for (let k = 0; k < CHANGES; k++) {
      const j = (k >> 1) * 7919; // the same Service gains an endpoint on even k and loses it on odd k
      const c = j % n;
      one.push(await change(c % 10 === 0 ? c + 1 : c, k)); // every 10th Service is a NodePort
      nodePort.push(await change((j * 10) % n, k));
    }
    await proxy.stop();
    full.sort((a, b) => a - b);
    one.sort((a, b) => a - b);
    nodePort.sort((a, b) => a - b);
    const f = pct(full, 50);
    console.log(
      `proxy rules, ${n} services: one ClusterIP change p50 ${pct(one, 50).toFixed(1)} ms, p99 ${pct(one, 99).toFixed(1)} ms; ` +
        `one NodePort change p50 ${pct(nodePort, 50).toFixed(1)} ms, p99 ${pct(nodePort, 99).toFixed(1)} ms; ` +
        `full rebuild ${f.toFixed(0)} ms (reference); ratio ClusterIP change/full ${(pct(one, 50) / f).toFixed(3)}`,
    );
  }
}

function outer(): void {
  const ns = `skiff.benchrules${process.pid}`;
  const add = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
  if (add.status !== 0) throw new Error(`ip netns add ${ns}: ${add.stderr}`);
  try {
    const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, fileURLToPath(import.meta.url), '--inner'], { stdio: 'inherit' });
    if (r.status !== 0) process.exitCode = 1;
  } finally {
    spawnSync('ip', ['netns', 'delete', ns]);
  }
}

if (process.argv.includes('--inner')) {
  inner().catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
  });
} else {
  outer();
}
