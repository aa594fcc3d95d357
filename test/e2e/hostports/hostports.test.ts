// NodePort and LoadBalancer Services reached from the host, on a one-node cluster created with
// `--publish-address 127.0.0.2`: curl on the host, the real kubectl, the real `skiff` command.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { findForwarders, findPublishers } from '../../../src/cli/host-port-publisher.js';
import { readHostPortsState } from '../../../src/node/network/host-ports/status-file.js';
import { leftovers, SCENARIOS, startCluster, waitFor, type Cluster } from '../harness.js';

const PUBLISH = '127.0.0.2';
let c: Cluster;
let home: string;
let clusterDir: string;

before(async () => {
  c = await startCluster('hp', { nodes: 1, upArgs: ['--publish-address', PUBLISH] });
  home = c.env.SKIFF_HOME!;
  clusterDir = join(home, 'clusters', c.name);
  // The ingress and Istio add-ons' LoadBalancers come with the cluster, so they would be the
  // oldest claimants of port 80 on the publish address, which the tests below hand between
  // their own Services. A user edit the add-ons keep: their Services become ClusterIP.
  for (const svc of [['-n', 'ingress-nginx', 'svc', 'ingress-nginx-controller'], ['-n', 'istio-system', 'svc', 'istio-ingressgateway']]) {
    await waitFor(`the add-on Service ${svc[3]}`, async () => (await c.kubectl(['get', ...svc])).code === 0, 60_000);
    await c.ok(['patch', ...svc, '--type=merge', '-p', '{"spec":{"type":"ClusterIP"}}']);
  }
});
after(async () => {
  await c?.down();
});

function curl(url: string, extra: string[] = []): Promise<{ code: number; out: string; err: string }> {
  return new Promise((res) => {
    execFile('curl', ['-sS', '--max-time', '5', ...extra, url], (e, out, err) => res({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out: String(out), err: String(err) }));
  });
}

function refused(host: string, port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = connect({ host, port });
    s.on('connect', () => (s.destroy(), res(false)));
    s.on('error', (e: NodeJS.ErrnoException) => res(e.code === 'ECONNREFUSED'));
  });
}

/** Whether this cluster's publisher holds address:port for the Service (another cluster on the machine may hold it a while). */
function published(address: string, port: number, service: string): boolean {
  const s = readHostPortsState(clusterDir);
  return !!s?.published.some((p) => p.address === address && p.port === port && p.service === service);
}

async function waitPublished(address: string, port: number, service: string): Promise<void> {
  // Generous: scenario 001 on another cluster of this machine may hold localhost:30271 a while.
  await waitFor(`${address}:${port} published for ${service}`, async () => published(address, port, service), 180_000);
}

/** Two pool addresses unlikely to be taken by another cluster on this machine (theirs start at 127.0.10.1). */
function spareLoadBalancerIPs(): [string, string] {
  const n = 150 + Math.floor(Math.random() * 100);
  return [`127.0.10.${n}`, `127.0.10.${n + 1}`];
}

const lbService = (name: string, ip: string, selector = 'echo') => `apiVersion: v1
kind: Service
metadata:
  name: ${name}
spec:
  type: LoadBalancer
  loadBalancerIP: ${ip}
  selector:
    app: ${selector}
  ports:
  - name: http
    port: 80
    targetPort: 8080
`;

test('scenario 001: curl localhost:30271 returns the echo page, also on the publish address', async () => {
  await c.ok(['apply', '-f', join(SCENARIOS, '001-echoserver-nodeport', 'echo.yaml')]);
  assert.match(await c.ok(['rollout', 'status', 'deployment/echo', '--timeout=120s']), /successfully rolled out/);
  await waitPublished('127.0.0.1', 30271, 'default/echo');
  let page = '';
  await waitFor('the echo page on localhost:30271', async () => {
    const r = await curl('http://localhost:30271/');
    page = r.out;
    return r.code === 0 && page.includes('CLIENT VALUES:');
  }, 60_000);
  const expected = readFileSync(join(SCENARIOS, '001-echoserver-nodeport', 'expected-echo.txt'), 'utf8');
  const sections = (t: string) => t.split('\n').filter((l) => /^[A-Z ]+:$/.test(l));
  assert.deepEqual(sections(page), sections(expected));
  assert.match(page, /^request_uri=http:\/\/localhost:8080\/$/m);
  assert.match(page, /^host=localhost:30271$/m);
  assert.match(page, /^-no body in request-$/m);

  await waitPublished(PUBLISH, 30271, 'default/echo');
  const viaPublish = await curl(`http://${PUBLISH}:30271/`);
  assert.equal(viaPublish.code, 0, viaPublish.err);
  assert.match(viaPublish.out, new RegExp(`^host=${PUBLISH.replace(/\./g, '\\.')}:30271$`, 'm'));

  // Keep-alive through the hop: two requests on one connection.
  const two = await curl('http://localhost:30271/a', ['-o', '/dev/null', '-o', '/dev/null', '-w', '%{num_connects}\\n', 'http://localhost:30271/b']);
  assert.equal(two.code, 0, two.err);
  assert.deepEqual(two.out.trim().split('\n'), ['1', '0']);

  // A POST body travels the whole way and back.
  const post = await curl('http://localhost:30271/', ['--data-binary', 'hello through the host port']);
  assert.match(post.out, /BODY:\nhello through the host port/);
});

test('a LoadBalancer Service gets 127.0.10.x in status and answers there on port 80; two share port 80', async () => {
  // One from the pool's own choice: it must be written to status.loadBalancer.ingress[0].ip.
  await c.ok(['expose', 'deployment', 'echo', '--name', 'auto-lb', '--type', 'LoadBalancer', '--port', '80', '--target-port', '8080']);
  const autoIP = await c.ok(['get', 'svc', 'auto-lb', '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}']);
  assert.match(autoIP, /^127\.0\.10\.\d+$/);
  assert.match(await c.ok(['get', 'svc', 'auto-lb', '--no-headers']), new RegExp(`LoadBalancer\\s+10\\.\\d+\\.\\d+\\.\\d+\\s+${autoIP.replace(/\./g, '\\.')}\\s+80:3\\d{4}/TCP`));
  await c.ok(['delete', 'svc', 'auto-lb']);

  const [ipA, ipB] = spareLoadBalancerIPs();
  await c.ok(['apply', '-f', '-'], lbService('web-a', ipA));
  await c.ok(['apply', '-f', '-'], lbService('web-b', ipB));
  assert.equal(await c.ok(['get', 'svc', 'web-a', '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}']), ipA);
  await waitPublished(ipA, 80, 'default/web-a');
  await waitPublished(ipB, 80, 'default/web-b');
  for (const ip of [ipA, ipB]) {
    const r = await curl(`http://${ip}/`);
    assert.equal(r.code, 0, `${ip}: ${r.err}`);
    assert.match(r.out, new RegExp(`^host=${ip.replace(/\./g, '\\.')}$`, 'm'));
  }
  // On the publish address port 80 can go to only one of them: the older; the other is told.
  await waitPublished(PUBLISH, 80, 'default/web-a');
  await waitFor('a Warning event on web-b', async () => {
    const ev = await c.ok(['get', 'events', '--field-selector', 'involvedObject.name=web-b,type=Warning', '-o', 'jsonpath={.items[*].message}']);
    return ev.includes(`${PUBLISH}:80 is already published for Service default/web-a`);
  });
  assert.match(await c.ok(['describe', 'svc', 'web-a']), /EnsuredLoadBalancer/);

  // Deleted: its address stops answering; the shared port passes to the survivor.
  await c.ok(['delete', 'svc', 'web-a']);
  await waitFor(`${ipA}:80 closed`, () => refused(ipA, 80));
  await waitPublished(PUBLISH, 80, 'default/web-b');
  const r = await curl(`http://${PUBLISH}/`);
  assert.equal(r.code, 0, r.err);
  await c.ok(['delete', 'svc', 'web-b']);
  await waitFor(`${ipB}:80 closed`, () => refused(ipB, 80));
});

test('a NodePort Service changed to ClusterIP stops answering on the host', async () => {
  await c.ok(['expose', 'deployment', 'echo', '--name', 'np', '--type', 'NodePort', '--port', '8080']);
  const nodePort = Number(await c.ok(['get', 'svc', 'np', '-o', 'jsonpath={.spec.ports[0].nodePort}']));
  assert.ok(nodePort >= 30000 && nodePort <= 32767);
  await waitPublished('127.0.0.1', nodePort, 'default/np');
  const r = await curl(`http://127.0.0.1:${nodePort}/`);
  assert.equal(r.code, 0, r.err);
  await c.ok(['patch', 'svc', 'np', '-p', '{"spec":{"type":"ClusterIP"}}']);
  assert.equal(await c.ok(['get', 'svc', 'np', '-o', 'jsonpath={.spec.ports[0].nodePort}']), '');
  await waitFor(`127.0.0.1:${nodePort} closed`, () => refused('127.0.0.1', nodePort));
  await waitFor(`${PUBLISH}:${nodePort} closed`, () => refused(PUBLISH, nodePort));
  await c.ok(['delete', 'svc', 'np']);
});

test('skiff status shows where Services are published', async () => {
  const r = await c.skiff(['status', '--name', c.name]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`publish: .*${PUBLISH.replace(/\./g, '\\.')}`));
  assert.match(r.stdout, /^ {4}127\.0\.0\.1:30271 {2}default\/echo:8080 \(NodePort\)$/m);
  assert.match(r.stdout, new RegExp(`^ {4}${PUBLISH.replace(/\./g, '\\.')}:30271 {2}default/echo:8080 \\(NodePort\\)$`, 'm'));
});

test('a killed publisher is started again by skiff up; its forwarder does not outlive it', async () => {
  const [pid] = findPublishers(home, c.name);
  assert.ok(pid, 'a publisher runs');
  assert.equal(findForwarders(home, c.name).length, 1);
  process.kill(pid, 'SIGKILL');
  // The publisher closed its copies of the listening sockets when it handed them over, so
  // with the forwarder gone the ports are free (not checked on 127.0.0.1:30271 itself: another
  // cluster on this machine may take it at once).
  await waitFor('the forwarder to exit with its publisher', async () => findForwarders(home, c.name).length === 0);
  await waitFor(`${PUBLISH}:30271 closed`, () => refused(PUBLISH, 30271));
  const up = await c.skiff(['up', '--name', c.name]);
  assert.equal(up.code, 0, up.stderr);
  assert.equal(findPublishers(home, c.name).length, 1);
  await waitFor('the echo page again', async () => (await curl('http://localhost:30271/')).out.includes('CLIENT VALUES:'), 60_000);
});

test('skiff down leaves no publisher or forwarder and frees the ports', async () => {
  const dir = c.dir;
  const name = c.name;
  assert.equal(published('127.0.0.1', 30271, 'default/echo'), true);
  const down = await c.skiff(['down', '--name', name]);
  assert.equal(down.code, 0, down.stderr);
  assert.deepEqual(findPublishers(home, name), []);
  assert.deepEqual(findForwarders(home, name), []);
  assert.deepEqual(leftovers(name, dir), []);
  assert.equal(await refused(PUBLISH, 30271), true);
});
