// A cluster is usable the moment `skiff up` returns: nodes Ready, cluster DNS answering, the
// ingress controller serving, and the busybox userland that Kubernetes tutorials type. Each
// check is made once, right after `up`: none of them waits or retries.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { clusterWeightWrite, detectCgroups } from '../../../src/node/kubelet/runtime/cgroups.js';
import { startCluster, type Cluster } from '../harness.js';

let c: Cluster;
before(async () => {
  c = await startCluster('usable', { nodes: 2 });
});
after(async () => {
  await c?.down();
});

function httpGet(host: string, port: number): Promise<{ status: number; server: string }> {
  return new Promise((resolve, reject) => {
    request({ host, port, path: '/', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, server: String(res.headers.server) }));
    })
      .on('error', reject)
      .end();
  });
}

test('when up returns, every node is Ready and the ingress address answers 404', async () => {
  const nodes = JSON.parse(await c.ok(['get', 'nodes', '-o', 'json'])) as { items: { status: { conditions: { type: string; status: string }[] } }[] };
  assert.equal(nodes.items.length, 2);
  for (const n of nodes.items) assert.equal(n.status.conditions.find((x) => x.type === 'Ready')?.status, 'True');
  const ip = (await c.ok(['get', 'svc', '-n', 'ingress-nginx', 'ingress-nginx-controller', '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}'])).trim();
  const r = await httpGet(ip, 80);
  assert.equal(r.status, 404);
  assert.match(r.server, /^nginx/);
});

test('the DNS and ingress pods became Ready at their first readiness probe', async () => {
  // Upstream's probe timing is kept: a failed first probe would show as an Unhealthy event.
  for (const ns of ['kube-system', 'ingress-nginx']) {
    const events = await c.ok(['get', 'events', '-n', ns, '--field-selector', 'reason=Unhealthy', '-o', 'name']);
    assert.equal(events.trim(), '', `no failed probe in ${ns}`);
  }
});

test("the pods weigh against the machine's other processes as a kubelet's kubepods: their nodes' allocatable CPU", async () => {
  const nodes = JSON.parse(await c.ok(['get', 'nodes', '-o', 'json'])) as { items: { status: { allocatable: { cpu: string } } }[] };
  const millis = nodes.items.reduce((sum, n) => sum + (n.status.allocatable.cpu.endsWith('m') ? parseInt(n.status.allocatable.cpu, 10) : Number(n.status.allocatable.cpu) * 1000), 0);
  const d = detectCgroups();
  const [file, value] = clusterWeightWrite(d, c.name, millis);
  // MilliCPUToShares; on cgroup v2 the same shares as a weight.
  if (d.version === 1) assert.equal(value, String(Math.floor((millis * 1024) / 1000)));
  assert.equal(readFileSync(file, 'utf8').trim(), value);
});

test('a pod created right after up resolves kubernetes.default at its first lookup', async () => {
  await c.ok(['run', 'probe', '--image=busybox', '--restart=Never', '--', 'sleep', '3600']);
  await c.ok(['wait', '--for=condition=Ready', 'pod/probe', '--timeout=60s']);
  // busybox's nslookup (1.28 on) asks for the name as given, without the search path, as it does
  // on any cluster (kubernetes/kubernetes#66924); the libc resolver of its other applets uses it.
  const out = await c.ok(['exec', 'probe', '--', 'nslookup', 'kubernetes.default.svc.cluster.local']);
  assert.match(out, /Name:\s+kubernetes\.default\.svc\.cluster\.local\nAddress:\s+10\.96\.0\.1\b/);
  const short = await c.kubectl(['exec', 'probe', '--', 'ping', '-c', '1', '-W', '1', 'kubernetes.default']);
  assert.match(short.stdout, /^PING kubernetes\.default \(10\.96\.0\.1\)/);
});

test('the busybox userland answers the commands of the Kubernetes tutorials', async () => {
  await c.ok(['create', 'deployment', 'web', '--image=nginx']);
  await c.ok(['expose', 'deployment', 'web', '--port=80']);
  await c.ok(['rollout', 'status', 'deployment/web', '--timeout=60s']);
  const webIP = (await c.ok(['get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
  const podIP = (await c.ok(['get', 'pod', 'probe', '-o', 'jsonpath={.status.podIP}'])).trim();
  const exec = async (cmd: string) => c.kubectl(['exec', 'probe', '--', 'sh', '-c', cmd]);

  let r = await exec('wget -qO- -T 2 http://web');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Welcome to nginx!/);

  r = await exec('wget --spider --timeout=1 web');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /remote file exists/);

  r = await exec('wget -S -O /dev/null http://web/ 2>&1');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /HTTP\/1\.1 200 OK/);

  r = await exec('wget -qO- -T 1 http://web/missing; echo "exit=$?"');
  assert.match(r.stdout, /exit=1/);
  assert.match(r.stderr, /404 Not Found/);

  r = await exec('nc -zv web 80 2>&1');
  assert.equal(r.code, 0, r.stdout);
  assert.match(r.stdout, new RegExp(`web \\(${webIP.replace(/\./g, '\\.')}:80\\) open`));

  r = await exec('nc -z -w 1 web 81; echo "exit=$?"');
  assert.match(r.stdout, /exit=1/);

  // A DNS query over UDP, sent with nc -u: the answer carries the queried name back.
  r = await exec(
    `printf '\\x12\\x34\\x01\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x03web\\x07default\\x03svc\\x07cluster\\x05local\\x00\\x00\\x01\\x00\\x01' | nc -u -w 1 10.96.0.10 53 | tr -c 'a-z' ' '`,
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /web\s+default\s+svc\s+cluster\s+local/);

  // nc -l in one shell, a client in another: the line crosses the pod's own loopback.
  r = await exec(
    'nc -l -p 7070 > /tmp/got & l=$!; until netstat -ltn | grep -q ":7070 "; do usleep 10000; done; echo over-nc | nc -w 2 127.0.0.1 7070; wait $l; cat /tmp/got',
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /over-nc/);

  r = await exec(`ping -c 1 -W 2 ${podIP}`);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /1 packets received/);

  r = await exec(`traceroute -n -m 2 -w 1 ${podIP} 2>&1`);
  assert.equal(r.code, 0, r.stdout);
  assert.match(r.stdout, new RegExp(`1\\s+${podIP.replace(/\./g, '\\.')}`));

  // telnet ends when its input does: the input stays open until the whole page is in.
  r = await exec(
    '(printf "GET / HTTP/1.0\\r\\n\\r\\n"; until grep -q "</html>" /tmp/page 2>/dev/null; do usleep 10000; done) | telnet web 80 >/tmp/page 2>&1; cat /tmp/page',
  );
  assert.match(r.stdout, /HTTP\/1\.1 200 OK/);

  r = await exec('ip -4 addr show eth0; ifconfig eth0; netstat -tn; hostname; env');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`inet ${podIP.replace(/\./g, '\\.')}/24`));
  assert.match(r.stdout, new RegExp(`inet addr:${podIP.replace(/\./g, '\\.')}`));
  assert.match(r.stdout, /Active Internet connections/);
  assert.match(r.stdout, /^probe$/m);
  assert.match(r.stdout, /^KUBERNETES_SERVICE_HOST=10\.96\.0\.1$/m);
});

test('a process ended by a signal exits 128 + the signal, in exec and in the container status', async () => {
  const segv = await c.kubectl(['exec', 'probe', '--', 'sh', '-c', 'kill -SEGV $$']);
  assert.equal(segv.code, 139, segv.stderr);
  assert.match(segv.stderr, /command terminated with exit code 139/);
  const usr1 = await c.kubectl(['exec', 'probe', '--', 'sh', '-c', 'kill -USR1 $$']);
  assert.equal(usr1.code, 138, usr1.stderr);

  // The container's shell is PID 1 of its namespace, which a signal it has no handler for does
  // not end, as under any runtime: it reports the end of a child the signal killed. `$$!` is `$!`
  // once the kubelet has expanded the command ($$ escapes $ there, as upstream).
  await c.ok(['run', 'crash', '--image=busybox', '--restart=Never', '--', 'sh', '-c', 'sleep 1000 & kill -ABRT $$!; wait $$!']);
  await c.ok(['wait', '--for=jsonpath={.status.phase}=Failed', 'pod/crash', '--timeout=60s']);
  const code = await c.ok(['get', 'pod', 'crash', '-o', 'jsonpath={.status.containerStatuses[0].state.terminated.exitCode}']);
  assert.equal(code, '134');
});

test('up --wait=0 returns once the API answers; a step that does not finish fails up and leaves the cluster', async () => {
  const fast = await c.skiff(['up', '--name', c.name, '--wait=0']);
  assert.equal(fast.code, 0, fast.stderr);
  assert.match(fast.stdout, /^ ✓ Control plane \(\d+\.\d\ds\): already running at /);
  assert.doesNotMatch(fast.stdout, /Nodes/);

  // The add-on installer keeps a user's edits: with no DNS replica, DNS cannot answer.
  await c.ok(['scale', '-n', 'kube-system', 'deployment/coredns', '--replicas=0']);
  await c.ok(['wait', '-n', 'kube-system', '--for=delete', 'pod', '-l', 'k8s-app=kube-dns', '--timeout=60s']);
  const slow = await c.skiff(['up', '--name', c.name, '--wait', '2s']);
  assert.equal(slow.code, 1);
  assert.match(slow.stdout, / ✓ Nodes .*\n ✗ Cluster DNS \(\d+\.\d\ds\)\n/);
  assert.match(slow.stderr, /^ERROR: starting cluster "[^"]+": Cluster DNS: not ready within 2s \(last: /);
  assert.match(slow.stderr, /no pod in kube-system matches k8s-app=kube-dns/);
  assert.match(slow.stderr, new RegExp(`skiff down --name ${c.name}`));
  const status = await c.skiff(['status', '--name', c.name]);
  assert.match(status.stdout, /is running/);
  await c.ok(['scale', '-n', 'kube-system', 'deployment/coredns', '--replicas=1']);
  const again = await c.skiff(['up', '--name', c.name]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, / ✓ Cluster DNS /);
});
