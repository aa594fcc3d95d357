// Control-plane benchmarks: cold start, idle memory, write rate at 16 clients, LIST of 10,000
// pods. Each line prints the measurement beside a reference measured in the same run.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import Database from 'better-sqlite3';
import { settled } from './settled.js';
import { startCluster } from '../test/e2e/harness.js';
import { accessFrom } from '../test/e2e/kubeconfig.js';
import { privateKb, rssKb, steadyPrivateKb } from './steady-memory.js';

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

function rssOf(pid: number): number {
  return rssKb(pid) / 1024;
}

async function bareNodeRss(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
  await new Promise((r) => setTimeout(r, 500));
  const rss = rssOf(child.pid!);
  child.kill();
  return rss;
}

function sqliteInsertRate(n: number): number {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-'));
  const db = new Database(join(dir, 'x.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT)');
  const ins = db.prepare('INSERT INTO t VALUES (?, ?)');
  const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { a: 'b' } });
  const t0 = performance.now();
  for (let i = 0; i < n; i++) ins.run(`k${i}`, body);
  const rate = n / ((performance.now() - t0) / 1000);
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return rate;
}

async function main(): Promise<void> {
  // Cold start: `skiff up` until the first successful `kubectl get ns`, against a warm `kubectl get ns`.
  const t0 = performance.now();
  const c = await startCluster('bench');
  let ok = false;
  while (!ok) ok = (await c.kubectl(['get', 'ns'])).code === 0;
  const cold = performance.now() - t0;
  const t1 = performance.now();
  await c.kubectl(['get', 'ns']);
  const warm = performance.now() - t1;
  try {
    console.log(`cold start (skiff up → kubectl get ns ok): ${cold.toFixed(0)} ms; warm kubectl get ns: ${warm.toFixed(0)} ms; ratio ${(cold / warm).toFixed(2)} (target < 1000 ms)`);

    const status = await c.skiff(['status', '--name', c.name]);
    const pid = Number(/pid[:\s]+(\d+)/i.exec(status.stdout)?.[1]);
    // Idle: once every add-on runs, not while `up` is still installing them.
    await settled(c);
    await new Promise((r) => setTimeout(r, 5000));
    const idle = rssOf(pid);
    const bare = await bareNodeRss();
    console.log(`idle control plane RSS: ${idle.toFixed(1)} MB; bare node process: ${bare.toFixed(1)} MB; ratio ${(idle / bare).toFixed(2)} (target < 100 MB)`);
    // The same process after a full collection: what it holds, without the young generation
    // that startup grew and V8 gives back only once allocation has stayed low for a while.
    const heldPrivate = privateKb(pid) / 1024;
    const steadyPrivate = (await steadyPrivateKb(pid)) / 1024;
    console.log(`idle control plane after a full GC: RSS ${rssOf(pid).toFixed(1)} MB, private ${steadyPrivate.toFixed(1)} MB (private before it: ${heldPrivate.toFixed(1)} MB)`);

    // Writes: 16 concurrent clients creating ConfigMaps over keep-alive HTTPS.
    const a = accessFrom(join(c.dir, 'kubeconfig'));
    const pool = new Pool(a.server, { connections: 16, connect: { ca: a.ca } });
    const N = 8000;
    const lat: number[] = [];
    let next = 0;
    const w0 = performance.now();
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (;;) {
          const i = next++;
          if (i >= N) return;
          const s = performance.now();
          const r = await pool.request({
            path: '/api/v1/namespaces/default/configmaps',
            method: 'POST',
            headers: { authorization: `Bearer ${a.token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}` }, data: { a: 'b' } }),
          });
          await r.body.dump();
          if (r.statusCode !== 201) throw new Error(`create cm-${i}: HTTP ${r.statusCode}`);
          lat.push(performance.now() - s);
        }
      }),
    );
    const wsec = (performance.now() - w0) / 1000;
    lat.sort((x, y) => x - y);
    const sqlite = sqliteInsertRate(20000);
    console.log(
      `writes at 16 clients: ${(N / wsec).toFixed(0)}/s, p50 ${pct(lat, 50).toFixed(2)} ms, p99 ${pct(lat, 99).toFixed(2)} ms; raw SQLite inserts: ${sqlite.toFixed(0)}/s; ratio ${(N / wsec / sqlite).toFixed(3)} (target ≥ 2000/s, p99 < 20 ms)`,
    );

    // LIST of 10,000 pods, against reading the same rows straight out of SQLite.
    await c.kubectl(['create', 'namespace', 'bench']);
    next = 0;
    const P = 10000;
    const pod = (i: number) =>
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `p-${i}`, labels: { app: 'bench', i: String(i % 10) } },
        spec: { containers: [{ name: 'c', image: 'registry.k8s.io/e2e-test-images/agnhost:2.39', args: ['netexec', '--http-port=8080'], ports: [{ containerPort: 8080 }] }] },
      });
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (;;) {
          const i = next++;
          if (i >= P) return;
          const r = await pool.request({ path: '/api/v1/namespaces/bench/pods', method: 'POST', headers: { authorization: `Bearer ${a.token}`, 'content-type': 'application/json' }, body: pod(i) });
          await r.body.dump();
          if (r.statusCode !== 201) throw new Error(`create pod p-${i}: HTTP ${r.statusCode}`);
        }
      }),
    );
    const times: number[] = [];
    let bytes = 0;
    for (let k = 0; k < 5; k++) {
      const s = performance.now();
      const r = await pool.request({ path: '/api/v1/namespaces/bench/pods', method: 'GET', headers: { authorization: `Bearer ${a.token}` } });
      const body = await r.body.text();
      bytes = body.length;
      times.push(performance.now() - s);
    }
    times.sort((x, y) => x - y);
    const db = new Database(join(c.env.SKIFF_HOME!, 'clusters', c.name, 'state', 'state.db'), { readonly: true });
    const s = performance.now();
    const rows = db.prepare("SELECT json FROM objects WHERE resource = 'core/pods'").all() as { json: string }[];
    const joined = '[' + rows.map((r) => r.json).join(',') + ']';
    const sqliteMs = performance.now() - s;
    db.close();
    console.log(`LIST 10,000 pods (${(bytes / 1e6).toFixed(1)} MB): median ${pct(times, 50).toFixed(0)} ms; SQLite read of the same rows: ${sqliteMs.toFixed(0)} ms (${joined.length > 0 ? 'ok' : ''}); ratio ${(pct(times, 50) / sqliteMs).toFixed(2)} (target < 200 ms)`);
    await pool.close();
  } finally {
    await c.down();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
