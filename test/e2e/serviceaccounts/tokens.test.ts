import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { startCluster, waitFor, type Cluster } from '../harness.js';

// ServiceAccount tokens as a real cluster hands them out: `kubectl create token`, a token the API
// accepts as the account (and `kubectl auth whoami` names), upstream's errors for bad requests,
// and the token every pod gets mounted, which a program in the pod uses against
// https://kubernetes.default.svc. The add-ons log in the same way, with their own accounts.

let c: Cluster;
const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

before(async () => {
  c = await startCluster('satok', { nodes: 1 });
});

after(async () => {
  await c?.down();
});

test('kubectl create token: the printed token is accepted by the API as the ServiceAccount', async () => {
  await waitFor('the default ServiceAccount', async () => (await c.kubectl(['get', 'sa', 'default'])).code === 0);
  const token = (await c.ok(['create', 'token', 'default'])).trim();
  assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
  const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
  assert.equal(claims.sub, 'system:serviceaccount:default:default');
  assert.equal(claims.exp - claims.iat, 3600);
  assert.match(await c.ok(['--token', token, 'get', 'ns', 'kube-system', '-o', 'name']), /^namespace\/kube-system$/m);
  const who = await c.ok(['--token', token, 'auth', 'whoami']);
  assert.match(who, /Username\s+system:serviceaccount:default:default/);
  assert.match(who, /system:serviceaccounts:default/);
  assert.match(await c.ok(['auth', 'whoami']), /Username\s+kubernetes-admin/);
  assert.equal((await c.ok(['create', 'token', 'default', '--duration=2h'])).trim().split('.').length, 3);

  const short = await c.kubectl(['create', 'token', 'default', '--duration=1m']);
  assert.notEqual(short.code, 0);
  assert.match(short.stderr, /TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes/);
  const missing = await c.kubectl(['create', 'token', 'nobody']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /serviceaccounts "nobody" not found/);
  const bad = await c.kubectl(['--token', `${token.slice(0, -6)}AAAAAA`, 'get', 'ns']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /Unauthorized|must be logged in/);
});

test('a pod gets the kube-api-access volume and reaches https://kubernetes.default.svc with it', async () => {
  await c.ok(['apply', '-f', '-'], `
apiVersion: v1
kind: Pod
metadata: { name: client }
spec:
  containers:
  - name: curl
    image: curlimages/curl
    command: [sleep, '3600']
`);
  const spec = JSON.parse(await c.ok(['get', 'pod', 'client', '-o', 'json'])).spec;
  const vol = spec.volumes.find((v: { name: string }) => v.name.startsWith('kube-api-access-'));
  assert.ok(vol, JSON.stringify(spec.volumes));
  assert.deepEqual(spec.containers[0].volumeMounts, [{ name: vol.name, readOnly: true, mountPath: SA_DIR }]);
  await c.ok(['wait', '--for=condition=Ready', 'pod/client', '--timeout=90s']);

  // curl_user (uid 100) reads the token: without a runAsUser the file is 0644, as upstream.
  assert.equal((await c.ok(['exec', 'client', '--', 'id', '-u'])).trim(), '100');
  assert.equal((await c.ok(['exec', 'client', '--', 'cat', `${SA_DIR}/namespace`])).trim(), 'default');
  assert.match(await c.ok(['exec', 'client', '--', 'cat', `${SA_DIR}/ca.crt`]), /BEGIN CERTIFICATE/);
  const env = await c.ok(['exec', 'client', '--', 'env']);
  assert.match(env, /^KUBERNETES_SERVICE_HOST=10\.96\.0\.1$/m);
  assert.match(env, /^KUBERNETES_SERVICE_PORT=443$/m);
  // The pod's name for the API resolves through cluster DNS (whose add-on itself logs in with its token).
  const lookup = await c.ok(['exec', 'client', '--', 'nslookup', 'kubernetes.default.svc.cluster.local']);
  assert.match(lookup, /Address:\s*10\.96\.0\.1/);

  // The request a program in the pod makes: the image's curl with the mounted token and CA.
  const token = (await c.ok(['exec', 'client', '--', 'cat', `${SA_DIR}/token`])).trim();
  const uid = JSON.parse(await c.ok(['get', 'pod', 'client', '-o', 'json'])).metadata.uid as string;
  const podCurl = (path: string, extra: string[] = []) =>
    c.kubectl(['exec', 'client', '--', 'curl', '-sS', '--max-time', '10', '--cacert', `${SA_DIR}/ca.crt`, ...extra, `https://kubernetes.default.svc${path}`]);
  let out = '';
  await waitFor('the API through the kubernetes Service with the mounted token', async () => {
    const r = await c.kubectl(['exec', 'client', '--', 'sh', '-c', `curl -sS --max-time 10 --cacert ${SA_DIR}/ca.crt -H "Authorization: Bearer $(cat ${SA_DIR}/token)" https://kubernetes.default.svc/api/v1/namespaces/default/pods`]);
    out = r.stdout + r.stderr;
    return r.code === 0 && out.includes('"kind":"PodList"');
  }, 30_000).catch((e: Error) => assert.fail(`${e.message}: ${out}`));
  const who = JSON.parse((await podCurl('/apis/authentication.k8s.io/v1/selfsubjectreviews', ['-H', `Authorization: Bearer ${token}`, '-H', 'Content-Type: application/json', '-d', '{}'])).stdout);
  assert.equal(who.status.userInfo.username, 'system:serviceaccount:default:default');
  assert.deepEqual(who.status.userInfo.extra['authentication.kubernetes.io/pod-uid'], [uid]);
  const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
  assert.deepEqual(claims['kubernetes.io'].pod, { name: 'client', uid });
  assert.ok(claims['kubernetes.io'].warnafter, 'the admission-mounted token is the extended one that warns after 3607 s');
  const anonymous = await podCurl('/api/v1/namespaces', ['-o', '/dev/null', '-w', '%{http_code}']);
  assert.equal(anonymous.stdout.trim(), '401');
});

test('automountServiceAccountToken: false mounts nothing', async () => {
  await c.ok(['apply', '-f', '-'], `
apiVersion: v1
kind: Pod
metadata: { name: quiet }
spec:
  automountServiceAccountToken: false
  containers: [{ name: c, image: busybox, command: [sleep, '3600'] }]
`);
  const spec = JSON.parse(await c.ok(['get', 'pod', 'quiet', '-o', 'json'])).spec;
  assert.equal(spec.volumes, undefined);
  assert.equal(spec.containers[0].volumeMounts, undefined);
});

test('the add-ons run as their own ServiceAccounts, with nothing of the cluster directory on their command line', async () => {
  const dns = JSON.parse(await c.ok(['-n', 'kube-system', 'get', 'pods', '-l', 'k8s-app=kube-dns', '-o', 'json'])).items[0];
  assert.equal(dns.spec.serviceAccountName, 'coredns');
  assert.ok(dns.spec.volumes.some((v: { name: string }) => v.name.startsWith('kube-api-access-')));
  const ing = JSON.parse(await c.ok(['-n', 'ingress-nginx', 'get', 'pods', '-o', 'json'])).items[0];
  assert.equal(ing.spec.serviceAccountName, 'ingress-nginx');
  const clusterDir = `${c.env.SKIFF_HOME}/clusters/${c.name}`;
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (/addons\/(dns|ingress)\/main\.js/.test(cmd)) assert.ok(!cmd.includes(clusterDir), `an add-on names the cluster directory: ${cmd.replace(/\0/g, ' ')}`);
  }
});
