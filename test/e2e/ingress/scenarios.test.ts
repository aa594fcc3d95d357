// The Ingress checks of the scenarios through the ingress-nginx add-on, from the host through the
// Ingress's address: 000 (4, 5), 002 (7), 003 (12, 13; 11 is in test/e2e/controlplane), and
// what `kubectl get ingress` prints. One 2-node cluster; 002 and 003 both use example.com, so
// 002's Ingress goes before 003's comes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor, type Cluster } from '../harness.js';
import { podNames, scenario } from '../scenarios/net.js';
import { applyTLSSecret, curl, get, ingressAddress, makeCert, rolledOut, startIngressCluster, untilReply } from './ingress.js';

let c: Cluster;
let lb = '';
const svcCert = makeCert(['www.svc.com', 'manage.svc.com']);
const exampleCert = makeCert(['example.com']);

before(async () => {
  ({ c, lb } = await startIngressCluster('ing-scn', 2));
  const s000 = (f: string) => scenario('000-www-and-manage', f);
  await c.ok(['apply', '-f', s000('app.yaml'), '-f', s000('services.yaml')]);
  await applyTLSSecret(c, 'svc-com-tls', svcCert);
  await c.ok(['apply', '-f', s000('ingress.yaml')]);
  await rolledOut(c, ['www', 'manage']);
});
after(async () => {
  svcCert.cleanup();
  exampleCert.cleanup();
  await c?.down();
});

const https = (host: string, ip: string, path: string, extra: string[] = []) =>
  curl(['--cacert', svcCert.crt, '--resolve', `${host}:443:${ip}`, ...extra, `https://${host}${path}`]);

test('000-4: www.svc.com and manage.svc.com over HTTPS with the Secret’s certificate; plain http; unknown host 404', async () => {
  const ip = await ingressAddress(c, 'www-and-manage');
  assert.equal(ip, lb, 'the Ingress shows the controller Service’s address');
  const www = await untilReply('https://www.svc.com/ through the ingress', () => https('www.svc.com', ip, '/'), (r) => r.code === 0 && r.status === 200);
  assert.match(www.out, /^CLIENT VALUES:/);
  assert.match(www.out, /^host=www\.svc\.com$/m);

  const manage = await podNames(c, 'app=manage');
  const m = await https('manage.svc.com', ip, '/hostname');
  assert.equal(m.code, 0, m.err);
  assert.ok(manage.includes(m.out.trim()), `${m.out} is a manage pod (${manage.join(', ')})`);

  // Plain http: with TLS on the Ingress, ingress-nginx answers 308 to https (ssl-redirect), and
  // a client that follows it gets the page.
  const plain = await curl(['--resolve', `www.svc.com:80:${ip}`, 'http://www.svc.com/some/where?x=1']);
  assert.equal(plain.status, 308);
  assert.equal(plain.headers.location, 'https://www.svc.com/some/where?x=1');
  const followed = await curl(['-L', '--cacert', svcCert.crt, '--resolve', `www.svc.com:80:${ip}`, '--resolve', `www.svc.com:443:${ip}`, 'http://www.svc.com/']);
  assert.equal(followed.status, 200, followed.err);
  assert.match(followed.out, /^host=www\.svc\.com$/m);

  const unknown = await get(ip, 'nobody.svc.com', '/');
  assert.equal(unknown.status, 404);
  assert.doesNotMatch(unknown.out, /CLIENT VALUES/);
  const unknownTLS = await curl(['-k', '--resolve', `nobody.svc.com:443:${ip}`, 'https://nobody.svc.com/']);
  assert.equal(unknownTLS.status, 404);
});

test('kubectl get ingress: CLASS, HOSTS, ADDRESS from the controller, PORTS 80, 443', async () => {
  await ingressAddress(c, 'www-and-manage');
  const row = (await c.ok(['get', 'ingress', 'www-and-manage', '--no-headers'])).trim().split(/\s+/);
  assert.deepEqual(row.slice(0, 6).filter((_, i) => i !== 1), ['www-and-manage', 'www.svc.com,manage.svc.com', lb, '80,', '443']);
  const head = (await c.ok(['get', 'ingress'])).split('\n')[0];
  assert.match(head, /^NAME\s+CLASS\s+HOSTS\s+ADDRESS\s+PORTS\s+AGE$/);
});

test('an Ingress without a class gets the default IngressClass nginx, as the DefaultIngressClass admission does', async () => {
  assert.equal(await c.ok(['get', 'ingressclass', 'nginx', '-o', 'jsonpath={.metadata.annotations.ingressclass\\.kubernetes\\.io/is-default-class}']), 'true');
  assert.equal(await c.ok(['get', 'ingress', 'www-and-manage', '-o', 'jsonpath={.spec.ingressClassName}']), 'nginx');
});

test('000-5: scaled to 5, requests through the ingress reach all 5 www pods', async () => {
  await c.ok(['scale', 'deployment', 'www', '--replicas=5']);
  await rolledOut(c, ['www']);
  const www = await podNames(c, 'app=www');
  assert.equal(www.length, 5);
  const ip = await ingressAddress(c, 'www-and-manage');
  // Which pod answered is in its access log: each request carries a path of its own.
  const tag = `through-ingress-${Date.now()}`;
  const reached = async () => {
    const hit: string[] = [];
    for (const p of www) if ((await c.ok(['logs', p])).includes(tag)) hit.push(p);
    return hit.sort();
  };
  await waitFor('requests through the ingress to reach all 5 www pods', async () => {
    for (let i = 0; i < 20; i++) assert.equal((await https('www.svc.com', ip, `/${tag}`)).status, 200);
    return (await reached()).length === 5;
  }, 20_000);
});

test('002-7: Host example.com reaches the nginx page of sleep-2; another Host gets 404', async () => {
  const s002 = (f: string) => scenario('002-sleep-dns-nodeport-ingress', f);
  await c.ok(['apply', '-f', s002('sleep.yaml'), '-f', s002('sleep2-service.yaml')]);
  await rolledOut(c, ['sleep-2']);
  await c.ok(['apply', '-f', s002('ingress.yaml')]);
  const ip = await ingressAddress(c, 'example-ingress');
  const r = await untilReply('the nginx page for Host example.com', () => curl(['-H', 'Host: example.com', `http://${ip}/`]), (x) => x.status === 200);
  assert.match(r.out, /Welcome to nginx!/);
  const other = await curl(['-H', 'Host: other.example.org', `http://${ip}/`]);
  assert.equal(other.status, 404);
  assert.doesNotMatch(other.out, /Welcome to nginx!/);
  await c.ok(['delete', '-f', s002('ingress.yaml')]);
});

test('003-12: regex path with rewrite-target: /api/... reaches my-service without the prefix; /apix and /other 404', async () => {
  const s003 = (f: string) => scenario('003-selectors-service-types-ingress-regex', f);
  await c.ok(['apply', '-f', s003('deployment.yaml'), '-f', s003('services.yaml')]);
  await rolledOut(c, ['my-deployment']);
  await c.ok(['apply', '-f', s003('ingress-regex-rewrite.yaml')]);
  const ip = await ingressAddress(c, 'my-ingress');
  const r = await untilReply('/api/echo?msg=x through the ingress', () => get(ip, 'example.com', '/api/echo?msg=x'), (x) => x.status === 200);
  assert.equal(r.out, 'x');
  const pods = await podNames(c, 'app=my-app');
  const host = await get(ip, 'example.com', '/api/hostname');
  assert.ok(pods.includes(host.out.trim()), `${host.out} is a my-app pod`);
  // /api is rewritten to /, where agnhost netexec tells the time.
  const root = await get(ip, 'example.com', '/api');
  assert.equal(root.status, 200);
  assert.match(root.out, /^NOW: /);
  for (const p of ['/apix', '/other']) assert.equal((await get(ip, 'example.com', p)).status, 404, p);
});

test('003-13: with TLS for example.com, http is redirected to https with 308', async () => {
  await applyTLSSecret(c, 'example-tls', exampleCert);
  await c.ok(['patch', 'ingress', 'my-ingress', '--type=merge', '-p', JSON.stringify({ spec: { tls: [{ hosts: ['example.com'], secretName: 'example-tls' }] } })]);
  const ip = await ingressAddress(c, 'my-ingress');
  const r = await untilReply('a 308 for http://example.com/api/echo?msg=y', () => get(ip, 'example.com', '/api/echo?msg=y'), (x) => x.status === 308, 30_000);
  assert.equal(r.headers.location, 'https://example.com/api/echo?msg=y');
  const tls = await curl(['--cacert', exampleCert.crt, '--resolve', `example.com:443:${ip}`, 'https://example.com/api/echo?msg=y']);
  assert.equal(tls.status, 200, tls.err);
  assert.equal(tls.out, 'y');
});
