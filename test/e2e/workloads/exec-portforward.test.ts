import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { kubectlVersionBin, run, startCluster, waitFor, type Cluster } from '../harness.js';

// kubectl exec and port-forward end to end against a one-node cluster, over every wire form
// kubectl uses: WebSocket v5 and SPDY v4 for exec (1.32, and 1.28/1.29 which only speak SPDY),
// WebSocket-tunnelled SPDY and raw SPDY for port-forward (1.32, and 1.30 which only speaks SPDY).

let c: Cluster;
let uid = '';
let bigSum = '';
before(async () => {
  c = await startCluster('xpf', { nodes: 1 });
  const manifest = `
apiVersion: v1
kind: Pod
metadata: { name: bb, labels: { app: web } }
spec:
  containers:
  - name: bb
    image: busybox
    command: [sh, -c, 'mkdir -p /www && echo hello-from-bb > /www/index.html && head -c 3000000 /dev/urandom > /www/big && exec busybox httpd -f -p 8080 -h /www']
    readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 }
---
apiVersion: v1
kind: Service
metadata: { name: web }
spec:
  selector: { app: web }
  ports: [{ port: 80, targetPort: 8080 }]
`;
  const r = await c.kubectl(['apply', '-f', '-'], { input: manifest });
  assert.equal(r.code, 0, r.stderr);
  const w = await c.kubectl(['wait', '--for=condition=Ready', 'pod/bb', '--timeout=60s']);
  assert.equal(w.code, 0, w.stderr);
  uid = (await c.kubectl(['get', 'pod', 'bb', '-o', 'jsonpath={.metadata.uid}'])).stdout.trim();
  bigSum = (await c.kubectl(['exec', 'bb', '--', 'sha256sum', '/www/big'])).stdout.split(' ')[0];
  assert.match(bigSum, /^[0-9a-f]{64}$/);
});
after(async () => {
  await c?.down();
});

const K128 = kubectlVersionBin(28);
const K129 = kubectlVersionBin(29);
const K130 = kubectlVersionBin(30);

interface Client {
  label: string;
  bin?: string;
  env?: NodeJS.ProcessEnv;
}
const execClients: Client[] = [
  { label: 'kubectl 1.32 (WebSocket v5)' },
  { label: 'kubectl 1.32 (SPDY)', env: { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' } },
  ...(K128 ? [{ label: 'kubectl 1.28 (SPDY)', bin: K128 }] : []),
  ...(K129 ? [{ label: 'kubectl 1.29 (SPDY)', bin: K129 }] : []),
];

const kubectl = (cl: Client, args: string[], input?: string) => run(cl.bin ?? 'kubectl', args, { ...c.env, ...cl.env }, input, 60_000);

for (const cl of execClients) {
  test(`exec with ${cl.label}: stdout, stderr and the exit code`, async () => {
    const r = await kubectl(cl, ['exec', 'bb', '--', 'sh', '-c', 'hostname; echo to-stderr >&2; exit 3']);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, 'bb\n');
    assert.match(r.stderr, /^to-stderr$/m);
    assert.match(r.stderr, /command terminated with exit code 3/);
    const ok = await kubectl(cl, ['exec', 'bb', '--', 'cat', '/www/index.html']);
    assert.deepEqual([ok.code, ok.stdout, ok.stderr], [0, 'hello-from-bb\n', '']);
  });

  test(`exec -i with ${cl.label}: stdin reaches the command and its end is seen`, async () => {
    const input = Array.from({ length: 2000 }, (_, i) => `line ${i}`).join('\n') + '\n';
    const r = await kubectl(cl, ['exec', '-i', 'bb', '--', 'sh', '-c', 'wc -l; exit 4'], input);
    assert.equal(r.code, 4, r.stderr);
    assert.equal(r.stdout.trim(), '2000');
  });

  test(`exec -it with ${cl.label}: a terminal of the client's size`, async () => {
    // kubectl only asks for a tty when its stdin is a terminal, so it runs under script(1).
    const bin = cl.bin ?? 'kubectl';
    // runc gives the container's terminal its size just after the command starts (upstream's
    // containerd does the same when the first resize arrives), so the command waits for one.
    const cmd = `stty cols 91 rows 33; exec ${bin} exec -it bb -- sh -c 'tty; until stty size >/dev/null 2>&1; do sleep 0.05; done; stty size; exit 5'`;
    const r = await run('script', ['-qfec', cmd, '/dev/null'], { ...c.env, ...cl.env }, undefined, 60_000);
    assert.equal(r.code, 5, r.stdout + r.stderr);
    assert.match(r.stdout, /\/dev\/pts\/\d+\r?\n/);
    assert.match(r.stdout, /^33 91\r?$/m);
    assert.match(r.stdout, /command terminated with exit code 5/);
  });
}

test('exec into a container that does not exist, and a command that does not exist', async () => {
  const r = await c.kubectl(['exec', 'bb', '-c', 'nope', '--', 'true']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /container nope is not valid for pod bb/);
  const n = await c.kubectl(['exec', 'bb', '--', 'no-such-command']);
  assert.notEqual(n.code, 0);
  assert.match(n.stderr, /command terminated with exit code 12[67]/);
});

/** A running `kubectl port-forward`, with the local port it chose. */
interface Forward {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<number | null>;
}

async function portForward(cl: Client, target: string, remote: number): Promise<Forward> {
  const child = spawn(cl.bin ?? 'kubectl', ['port-forward', '--address', '127.0.0.1', target, `:${remote}`], { env: { ...c.env, ...cl.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d));
  child.stderr!.on('data', (d: Buffer) => (out += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const check = () => {
      const m = /Forwarding from 127\.0\.0\.1:(\d+) -> /.exec(out);
      if (m) resolve(Number(m[1]));
    };
    child.stdout!.on('data', check);
    void exited.then((code) => reject(new Error(`kubectl port-forward ${target} exited with ${code}: ${out}`)));
  });
  return { child, port, output: () => out, exited };
}

async function stop(f: Forward): Promise<void> {
  if (f.child.exitCode === null && f.child.signalCode === null) f.child.kill('SIGTERM');
  await f.exited;
}

/** One HTTP/1.0 request over a fresh connection; resolves with the whole answer. */
function httpGet(port: number, path: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    s.on('connect', () => s.write(`GET ${path} HTTP/1.0\r\nHost: x\r\n\r\n`));
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('end', () => resolve(Buffer.concat(chunks)));
    s.on('error', reject);
  });
}

function body(answer: Buffer): Buffer {
  const i = answer.indexOf('\r\n\r\n');
  return i < 0 ? Buffer.alloc(0) : answer.subarray(i + 4);
}

/** Processes in the pod's cgroup: the container's, plus one per open port-forward connection. */
/** Processes in the pod's cgroup and its containers' (runc puts each container in a child of it). */
function podProcs(): number | undefined {
  const count = (dir: string): number =>
    readFileSync(join(dir, 'cgroup.procs'), 'utf8').trim().split('\n').filter(Boolean).length +
    readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).reduce((n, e) => n + count(join(dir, e.name)), 0);
  for (const root of ['/sys/fs/cgroup/pids', '/sys/fs/cgroup/memory', '/sys/fs/cgroup']) {
    const dir = `${root}/skiff.${c.name}/${uid}`;
    if (existsSync(join(dir, 'cgroup.procs'))) return count(dir);
  }
  return undefined;
}

const forwardClients: Client[] = [
  { label: 'kubectl 1.32 (WebSocket-tunnelled SPDY)' },
  { label: 'kubectl 1.32 (SPDY)', env: { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' } },
  ...(K130 ? [{ label: 'kubectl 1.30 (SPDY)', bin: K130 }] : []),
];

for (const cl of forwardClients) {
  for (const target of ['pod/bb', 'svc/web']) {
    test(`port-forward ${target} with ${cl.label}: concurrent connections and a 3 MB body`, async () => {
      const f = await portForward(cl, target, target === 'svc/web' ? 80 : 8080);
      try {
        const answers = await Promise.all(Array.from({ length: 8 }, () => httpGet(f.port, '/index.html')));
        for (const a of answers) {
          assert.match(a.toString('latin1'), /^HTTP\/1\.[01] 200 OK\r\n/);
          assert.equal(body(a).toString(), 'hello-from-bb\n');
        }
        const big = body(await httpGet(f.port, '/big'));
        assert.equal(big.length, 3_000_000);
        assert.equal(createHash('sha256').update(big).digest('hex'), bigSum);
        // Sequential connections after the parallel ones still work on the same session.
        for (let i = 0; i < 3; i++) assert.equal(body(await httpGet(f.port, '/index.html')).toString(), 'hello-from-bb\n');
        assert.equal(f.child.exitCode, null, f.output());
      } finally {
        await stop(f);
      }
    });
  }

  test(`port-forward to a refused port with ${cl.label}: the error reaches kubectl`, async () => {
    const f = await portForward(cl, 'pod/bb', 9999);
    try {
      const answer = await httpGet(f.port, '/');
      assert.equal(answer.length, 0);
      // As upstream, kubectl reports the kubelet's error and gives up the forward.
      const code = await f.exited;
      assert.equal(code, 1, f.output());
      // kubectl quotes the message, escaping its quotes.
      assert.match(f.output(), /error forwarding port 9999 to pod [0-9a-f-]+, uid : failed to connect to localhost:9999 inside namespace \\?"[^"\\]+\\?", IPv4: dial tcp4 127\.0\.0\.1:9999: connect: connection refused/);
      assert.match(f.output(), /lost connection to pod/);
    } finally {
      await stop(f);
    }
  });
}

test('a port-forward connection held open ends in the pod when kubectl goes away', async () => {
  const baseline = podProcs();
  assert.ok(baseline !== undefined, 'the pod cgroup is visible');
  const f = await portForward({ label: '1.32' }, 'pod/bb', 8080);
  const s = connect(f.port, '127.0.0.1');
  try {
    // A request without its final blank line keeps httpd, and so the forward, waiting.
    await new Promise<void>((r) => s.on('connect', () => s.write('GET /index.html HTTP/1.0\r\n', () => r())));
    await waitFor('the forwarding process in the pod', async () => podProcs()! > baseline!, 20_000);
    await stop(f);
    await waitFor('the forwarding process to end', async () => podProcs() === baseline, 20_000);
  } finally {
    s.destroy();
    await stop(f);
  }
});

for (const cl of execClients.slice(0, 2)) {
  test(`exec with ${cl.label}: the command ends when kubectl goes away`, async () => {
    const baseline = podProcs()!;
    const child = spawn('kubectl', ['exec', 'bb', '--', 'sleep', '300'], { env: { ...c.env, ...cl.env }, stdio: 'ignore' });
    const exited = new Promise((r) => child.once('exit', r));
    try {
      await waitFor('the exec in the pod', async () => podProcs()! > baseline, 20_000);
      child.kill('SIGKILL');
      await exited;
      await waitFor('the exec to end', async () => podProcs() === baseline, 20_000);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    }
  });
}
