import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, run, startCluster, waitFor, type Cluster } from '../harness.js';
import type { DigReply } from './dig.js';

// Cluster DNS on a real 1-node cluster: the CoreDNS add-on is installed by the control plane,
// pods resolve through the kube-dns Service (10.96.0.10), and exact records are checked with a
// small DNS client run in the node's network namespace against the same address.

const DNS = '10.96.0.10';
const NS = 'dnstest';
const DIG = join(ROOT, 'dist', 'test', 'e2e', 'dns', 'dig.js');

let c: Cluster;
let clientIP: string;

before(async () => {
  c = await startCluster('dns', { nodes: 1 });
  await c.ok(['create', 'namespace', NS]);
  await c.ok(['run', 'client', '--image=busybox:1.36', '--restart=Never', '--', 'sleep', '3600']);
  await c.ok(['-n', NS, 'create', 'deployment', 'web', '--image=nginx:1.27']);
  await c.ok(['-n', NS, 'expose', 'deployment', 'web', '--port=80', '--name=web']);
  // rollout status, not condition=Available: with kubeadm's maxUnavailable 1, a 1-replica
  // coredns Deployment is Available before its pod is ready.
  await c.ok(['-n', NS, 'rollout', 'status', 'deployment/web', '--timeout=90s']);
  await waitFor('the coredns Deployment', async () => (await c.kubectl(['-n', 'kube-system', 'get', 'deployment/coredns'])).code === 0, 60_000);
  await c.ok(['-n', 'kube-system', 'rollout', 'status', 'deployment/coredns', '--timeout=90s']);
  await c.ok(['wait', '--for=condition=Ready', 'pod/client', '--timeout=90s']);
  clientIP = (await c.ok(['get', 'pod', 'client', '-o', 'jsonpath={.status.podIP}'])).trim();
});

after(async () => {
  await c?.down();
});

/** One query to the cluster DNS from node 1's network namespace. */
async function dig(name: string, type: string, opts: { tcp?: boolean; server?: string } = {}): Promise<DigReply> {
  const r = await run('nsenter', [`--net=/var/run/netns/skiff.${c.name}.n1`, process.execPath, DIG, opts.server ?? DNS, name, type, opts.tcp ? 'tcp' : 'udp'], process.env);
  if (r.code !== 0) throw new Error(`dig ${type} ${name}: ${r.stderr}`);
  return JSON.parse(r.stdout) as DigReply;
}

const datas = (r: DigReply, type?: string) => r.answers.filter((a) => !type || a.type === type).map((a) => a.data);
const inPod = (args: string[]) => c.kubectl(['exec', 'client', '--', ...args]);
const clusterIP = async (ns: string, name: string) => (await c.ok(['-n', ns, 'get', 'svc', name, '-o', 'jsonpath={.spec.clusterIP}'])).trim();

test('the add-on as kubeadm installs it: kube-dns Service at 10.96.0.10, coredns Deployment, ConfigMap, ServiceAccount', async () => {
  const svc = await c.ok(['-n', 'kube-system', 'get', 'svc', 'kube-dns']);
  assert.match(svc, /^kube-dns\s+ClusterIP\s+10\.96\.0\.10\s+<none>\s+53\/UDP,53\/TCP,9153\/TCP\s+/m);
  const deploy = await c.ok(['-n', 'kube-system', 'get', 'deploy', 'coredns', '-o', 'wide']);
  assert.match(deploy, /^coredns\s+1\/1\s+1\s+1\s+\S+\s+coredns\s+registry\.k8s\.io\/coredns\/coredns:v\S+\s+k8s-app=kube-dns$/m);
  assert.match(await c.ok(['-n', 'kube-system', 'get', 'cm', 'coredns', '-o', 'jsonpath={.data.Corefile}']), /kubernetes cluster\.local in-addr\.arpa ip6\.arpa/);
  assert.match(await c.ok(['-n', 'kube-system', 'get', 'sa', 'coredns']), /^coredns\s/m);
  const eps = await c.ok(['-n', 'kube-system', 'get', 'endpointslices', '-l', 'kubernetes.io/service-name=kube-dns', '-o', 'jsonpath={.items[*].endpoints[*].conditions.ready}']);
  assert.equal(eps.trim(), 'true');
});

test("a pod's resolv.conf names the cluster DNS, the search path of its namespace and ndots:5", async () => {
  const r = await inPod(['cat', '/etc/resolv.conf']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local(?: \S+)*$/m);
  assert.match(r.stdout, /^nameserver 10\.96\.0\.10$/m);
  assert.doesNotMatch(r.stdout, /^nameserver (?!10\.96\.0\.10$)/m);
  assert.match(r.stdout, /^options ndots:5$/m);
});

test('from a pod: a Service by short name, name.namespace and FQDN', async () => {
  const ip = await clusterIP(NS, 'web');
  await c.ok(['create', 'service', 'clusterip', 'local', '--tcp=80:80']);
  const localIP = await clusterIP('default', 'local');
  // busybox nslookup walks the search path for a name without dots.
  await waitFor('nslookup local from a pod', async () => {
    const r = await inPod(['nslookup', 'local']);
    return r.stdout.includes(`Name:\tlocal.default.svc.cluster.local\nAddress: ${localIP}`);
  });
  const fqdn = await inPod(['nslookup', `web.${NS}.svc.cluster.local`]);
  assert.equal(fqdn.code, 0, fqdn.stderr);
  assert.match(fqdn.stdout, /^Server:\s+10\.96\.0\.10$/m);
  assert.ok(fqdn.stdout.includes(`Name:\tweb.${NS}.svc.cluster.local\nAddress: ${ip}`), fqdn.stdout);
  // name.namespace goes through the resolver's search path (ndots:5), as any program's lookup does.
  // (busybox nc: the host's busybox wget crashes in this sandbox.)
  const page = await inPod(['sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 web.${NS} 80`]);
  assert.equal(page.code, 0, page.stderr);
  assert.match(page.stdout, /^HTTP\/1\.1 200 OK/);
  assert.match(page.stdout, /Welcome to nginx!/);
});

test('CoreDNS metrics on kube-dns.kube-system:9153 count the queries', async () => {
  const r = await inPod(['sh', '-c', `printf 'GET /metrics HTTP/1.0\\r\\n\\r\\n' | nc -w 5 kube-dns.kube-system 9153`]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^HTTP\/1\.1 200 OK/);
  assert.match(r.stdout, /^coredns_dns_requests_total\{proto="udp",family="1",type="A",server="dns:\/\/:53",view="",zone="\."\} [1-9]\d*$/m);
});

test('A records: a ClusterIP Service is its ClusterIP, TTL 5, authoritative, over UDP and TCP', async () => {
  const ip = await clusterIP(NS, 'web');
  for (const tcp of [false, true]) {
    const r = await dig(`web.${NS}.svc.cluster.local`, 'A', { tcp });
    assert.equal(r.rcode, 'NOERROR');
    assert.equal(r.aa, true);
    assert.deepEqual(r.answers, [{ name: `web.${NS}.svc.cluster.local`, type: 'A', ttl: 5, data: ip }]);
  }
});

test('NXDOMAIN for a name that does not exist, NODATA (NOERROR, no answer, SOA) for a type it lacks', async () => {
  const nx = await dig(`nope.${NS}.svc.cluster.local`, 'A');
  assert.equal(nx.rcode, 'NXDOMAIN');
  assert.deepEqual(nx.answers, []);
  assert.deepEqual(nx.authorities.map((a) => [a.name, a.type, a.ttl]), [['cluster.local', 'SOA', 5]]);
  const nodata = await dig(`web.${NS}.svc.cluster.local`, 'AAAA');
  assert.equal(nodata.rcode, 'NOERROR');
  assert.deepEqual(nodata.answers, []);
  assert.deepEqual(nodata.authorities.map((a) => a.type), ['SOA']);
  // A namespace that exists is a name without records; one that does not is NXDOMAIN.
  assert.equal((await dig(`${NS}.svc.cluster.local`, 'A')).rcode, 'NOERROR');
  assert.equal((await dig('no-such-ns.svc.cluster.local', 'A')).rcode, 'NXDOMAIN');
});

test('SRV for named ports: _http._tcp.<svc>.<ns>.svc, and for kube-dns _dns._udp', async () => {
  await c.ok(['-n', NS, 'patch', 'svc', 'web', '--type=json', '-p', '[{"op":"add","path":"/spec/ports/0/name","value":"http"}]']);
  await waitFor('SRV _http._tcp.web', async () => (await dig(`_http._tcp.web.${NS}.svc.cluster.local`, 'SRV')).answers.length === 1);
  const srv = await dig(`_http._tcp.web.${NS}.svc.cluster.local`, 'SRV');
  assert.deepEqual(datas(srv), [{ priority: 0, weight: 100, port: 80, target: `web.${NS}.svc.cluster.local` }]);
  const dns = await dig('_dns._udp.kube-dns.kube-system.svc.cluster.local', 'SRV');
  assert.deepEqual(datas(dns), [{ priority: 0, weight: 100, port: 53, target: 'kube-dns.kube-system.svc.cluster.local' }]);
  assert.equal((await dig(`_nope._tcp.web.${NS}.svc.cluster.local`, 'SRV')).rcode, 'NXDOMAIN');
});

test('headless Service: one A per ready pod, SRV per endpoint, PTR back; NXDOMAIN once it has none', async () => {
  await c.ok(['-n', NS, 'create', 'deployment', 'hl', '--image=busybox:1.36', '--replicas=2', '--', 'sleep', '3600']);
  await c.ok(['-n', NS, 'create', 'service', 'clusterip', 'hl', '--clusterip=None', '--tcp=80:80']);
  await c.ok(['-n', NS, 'rollout', 'status', 'deployment/hl', '--timeout=90s']);
  const podIPs = (await c.ok(['-n', NS, 'get', 'pods', '-l', 'app=hl', '-o', 'jsonpath={.items[*].status.podIP}'])).trim().split(/\s+/).sort();
  assert.equal(podIPs.length, 2);
  const name = `hl.${NS}.svc.cluster.local`;
  await waitFor('two A records for the headless Service', async () => JSON.stringify(datas(await dig(name, 'A')).sort()) === JSON.stringify(podIPs));
  const srv = await dig(`_80-80._tcp.${name}`, 'SRV');
  const targets = datas(srv).map((d) => (d as { target: string }).target).sort();
  assert.deepEqual(targets, podIPs.map((ip) => `${ip.replace(/\./g, '-')}.${name}`).sort());
  const ptr = await dig(`${podIPs[0].split('.').reverse().join('.')}.in-addr.arpa`, 'PTR');
  assert.deepEqual(datas(ptr), [`${podIPs[0].replace(/\./g, '-')}.${name}`]);
  await c.ok(['-n', NS, 'scale', 'deployment', 'hl', '--replicas=0']);
  await waitFor('NXDOMAIN for a headless Service without endpoints', async () => (await dig(name, 'A')).rcode === 'NXDOMAIN');
});

test('ExternalName Service: a CNAME to the external name', async () => {
  await c.ok(['-n', NS, 'create', 'service', 'externalname', 'ext', '--external-name=db.example.com']);
  await waitFor('CNAME for ext', async () => (await dig(`ext.${NS}.svc.cluster.local`, 'CNAME')).answers.length === 1);
  const r = await dig(`ext.${NS}.svc.cluster.local`, 'A');
  assert.deepEqual(r.answers.filter((a) => a.type === 'CNAME'), [{ name: `ext.${NS}.svc.cluster.local`, type: 'CNAME', ttl: 5, data: 'db.example.com' }]);
});

test('pod A records a-b-c-d.<ns>.pod.cluster.local and PTR of a Service', async () => {
  const pod = await dig(`${clientIP.replace(/\./g, '-')}.default.pod.cluster.local`, 'A');
  assert.deepEqual(pod.answers, [{ name: `${clientIP.replace(/\./g, '-')}.default.pod.cluster.local`, type: 'A', ttl: 5, data: clientIP }]);
  const ip = await clusterIP(NS, 'web');
  const ptr = await dig(`${ip.split('.').reverse().join('.')}.in-addr.arpa`, 'PTR');
  assert.deepEqual(ptr.answers, [{ name: `${ip.split('.').reverse().join('.')}.in-addr.arpa`, type: 'PTR', ttl: 5, data: `web.${NS}.svc.cluster.local` }]);
  // From the pod too: busybox nslookup of an address asks for its PTR.
  const r = await inPod(['nslookup', ip]);
  assert.match(r.stdout, new RegExp(`name = web\\.${NS}\\.svc\\.cluster\\.local`));
});

test('dns-version TXT is the schema version of the DNS specification', async () => {
  const r = await dig('dns-version.cluster.local', 'TXT');
  assert.deepEqual(datas(r), [['1.0.1']]);
});

test("names outside the cluster: the host's hosts file; no upstream with egress none", async () => {
  const hostName = readFileSync('/etc/hosts', 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim().split(/\s+/))
    .find((f) => f.length > 1 && /^\d+\.\d+\.\d+\.\d+$/.test(f[0]) && f.slice(1).some((n) => n !== 'localhost'));
  if (hostName) {
    const name = hostName.slice(1).find((n) => n !== 'localhost')!;
    const r = await dig(name, 'A');
    assert.deepEqual(datas(r, 'A'), [hostName[0]]);
  }
  // CoreDNS with no upstream left for a name: SERVFAIL.
  assert.equal((await dig('www.example.com', 'A')).rcode, 'SERVFAIL');
});

/**
 * The pid of the DNS pod's program: the process running the DNS add-on inside one of this
 * cluster's network namespaces (its command line names nothing of the cluster).
 */
function dnsPid(): number | undefined {
  const ours = new Set<number>();
  for (const n of readdirSync('/run/netns')) if (n.startsWith(`skiff.${c.name}.`)) ours.add(statSync(join('/run/netns', n)).ino);
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8');
      if (cmd.includes('addons/dns/main.js') && ours.has(statSync(`/proc/${e}/ns/net`).ino)) return Number(e);
    } catch {
      continue;
    }
  }
  return undefined;
}

test('DNS keeps answering from its last view while the control plane is down, and catches up after', async () => {
  const ip = await clusterIP(NS, 'web');
  const before = dnsPid();
  assert.ok(before, 'the DNS program runs');
  // Stop only the control plane process this test's `skiff up` started (its recorded pid).
  const pidFile = join(c.env.SKIFF_HOME!, 'clusters', c.name, 'control-plane.pid');
  const cp = Number(readFileSync(pidFile, 'utf8').trim());
  process.kill(cp, 'SIGTERM');
  await waitFor('the control plane to exit', async () => {
    try {
      process.kill(cp, 0);
      return false;
    } catch {
      return true;
    }
  });
  assert.notEqual((await c.kubectl(['get', 'ns'])).code, 0, 'the API is down');
  for (const tcp of [false, true]) {
    const r = await dig(`web.${NS}.svc.cluster.local`, 'A', { tcp });
    assert.deepEqual(datas(r), [ip]);
  }
  const up = await c.skiff(['up', '--name', c.name]);
  assert.equal(up.code, 0, up.stderr);
  await waitFor('the API back', async () => (await c.kubectl(['get', 'ns'])).code === 0, 60_000);
  await c.ok(['-n', NS, 'create', 'service', 'clusterip', 'later', '--tcp=80:80']);
  const laterIP = await clusterIP(NS, 'later');
  // The view's informers retry with backoff (up to 30 s) while the API is away.
  await waitFor('the new Service to resolve', async () => JSON.stringify(datas(await dig(`later.${NS}.svc.cluster.local`, 'A'))) === JSON.stringify([laterIP]), 60_000);
  assert.equal(dnsPid(), before, 'the DNS pod kept running through the control plane restart');
});

test('the add-on comes back when deleted, and a scaled Deployment stays scaled', async () => {
  await c.ok(['-n', 'kube-system', 'scale', 'deployment', 'coredns', '--replicas=2']);
  await c.ok(['-n', 'kube-system', 'delete', 'service', 'kube-dns']);
  await c.ok(['-n', 'kube-system', 'delete', 'configmap', 'coredns']);
  await waitFor('kube-dns and the coredns ConfigMap recreated', async () => {
    const r = await c.kubectl(['-n', 'kube-system', 'get', 'svc/kube-dns', 'cm/coredns', '-o', 'name']);
    return r.code === 0 && r.stdout.split('\n').filter(Boolean).length === 2;
  });
  assert.equal(await clusterIP('kube-system', 'kube-dns'), DNS);
  assert.equal((await c.ok(['-n', 'kube-system', 'get', 'deploy', 'coredns', '-o', 'jsonpath={.spec.replicas}'])).trim(), '2');
  await c.ok(['-n', 'kube-system', 'scale', 'deployment', 'coredns', '--replicas=1']);
  await waitFor('DNS answering through 10.96.0.10 again', async () => {
    try {
      return (await dig(`web.${NS}.svc.cluster.local`, 'A')).rcode === 'NOERROR';
    } catch {
      return false;
    }
  }, 60_000);
});

test('after `skiff stop` and `skiff up` the DNS answers again', async (t) => {
  const ip = await clusterIP(NS, 'web');
  assert.equal((await c.skiff(['stop', '--name', c.name])).code, 0);
  // Today stop is a power-off (agents, pods and namespaces go), so the data plane does not
  // outlive it as it outlives a control plane restart (the test above); say which it was.
  t.diagnostic(`DNS pod process after skiff stop: ${dnsPid() === undefined ? 'gone (stop powers off the pods)' : 'still running'}`);
  const up = await c.skiff(['up', '--name', c.name]);
  assert.equal(up.code, 0, up.stderr);
  await waitFor('web resolving through 10.96.0.10 after stop and up', async () => {
    try {
      return JSON.stringify(datas(await dig(`web.${NS}.svc.cluster.local`, 'A'))) === JSON.stringify([ip]);
    } catch {
      return false;
    }
  }, 90_000);
});
