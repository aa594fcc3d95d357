import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane } from '../../../src/apiserver/server.js';
import { generateSigningKey, TokenSigner, tokenClaims, SERVICE_ACCOUNT_ISSUER } from '../../../src/apiserver/serviceaccount/jwt.js';
import { generateClusterCertificates } from '../../../src/cli/certificates.js';

// The TokenRequest API, ServiceAccount token authentication and the ServiceAccount admission
// plugin, through the real API server on its unix socket (no controllers).

const ADMIN = 'admin-token';
let dir: string;
let cp: Awaited<ReturnType<typeof startControlPlane>>;
let socketPath: string;

interface Reply {
  code: number;
  body: Record<string, any>;
}

function call(method: string, path: string, token: string | undefined, body?: unknown, contentType = 'application/json'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = request(
      { socketPath, method, path, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(data ? { 'content-type': contentType } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ code: res.statusCode ?? 0, body: text ? JSON.parse(text) : {} });
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

const tokenPath = (ns: string, sa: string) => `/api/v1/namespaces/${ns}/serviceaccounts/${sa}/token`;
const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8'));

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-satoken-'));
  socketPath = join(dir, 'api.sock');
  const certs = await generateClusterCertificates();
  cp = await startControlPlane({
    stateDir: join(dir, 'state'),
    host: '127.0.0.1',
    port: 0,
    cert: certs.serverCert,
    key: certs.serverKey,
    tokens: [ADMIN],
    socketPath,
    clusterName: 'satoken',
    serviceAccountKey: generateSigningKey(),
  });
  for (const sa of ['default', 'robot']) {
    const r = await call('POST', '/api/v1/namespaces/default/serviceaccounts', ADMIN, { metadata: { name: sa } });
    assert.equal(r.code, 201, JSON.stringify(r.body));
  }
});

after(async () => {
  await cp.close();
  rmSync(dir, { recursive: true, force: true });
});

test('kubectl create token: a signed ES256 JWT with upstream\'s claims, accepted by the API as the ServiceAccount', async () => {
  const r = await call('POST', tokenPath('default', 'robot'), ADMIN, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} });
  assert.equal(r.code, 201, JSON.stringify(r.body));
  assert.equal(r.body.kind, 'TokenRequest');
  assert.deepEqual(r.body.spec, { audiences: [SERVICE_ACCOUNT_ISSUER], expirationSeconds: 3600, boundObjectRef: null });
  const token = r.body.status.token as string;
  const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8'));
  assert.equal(header.alg, 'ES256');
  assert.match(header.kid, /^[A-Za-z0-9_-]{43}$/);
  const c = claimsOf(token);
  const sa = (await call('GET', '/api/v1/namespaces/default/serviceaccounts/robot', ADMIN)).body;
  assert.deepEqual(Object.keys(c), ['aud', 'exp', 'iat', 'iss', 'jti', 'kubernetes.io', 'nbf', 'sub']);
  assert.equal(c.sub, 'system:serviceaccount:default:robot');
  assert.equal(c.iss, SERVICE_ACCOUNT_ISSUER);
  assert.equal(c.exp - c.iat, 3600);
  assert.equal(Date.parse(r.body.status.expirationTimestamp) / 1000, c.exp);
  assert.deepEqual(c['kubernetes.io'], { namespace: 'default', serviceaccount: { name: 'robot', uid: sa.metadata.uid } });

  assert.equal((await call('GET', '/api/v1/namespaces/default/configmaps', token)).code, 200);
  const who = await call('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', token, { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
  assert.equal(who.code, 201);
  assert.deepEqual(who.body.status.userInfo, {
    username: 'system:serviceaccount:default:robot',
    uid: sa.metadata.uid,
    groups: ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated'],
    extra: { 'authentication.kubernetes.io/credential-id': [`JTI=${c.jti}`] },
  });
  const admin = await call('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', ADMIN, {});
  assert.equal(admin.body.status.userInfo.username, 'kubernetes-admin');
});

test('a token is refused when tampered with, signed by another key, for another audience, expired, or its account was recreated', async () => {
  const good = (await call('POST', tokenPath('default', 'robot'), ADMIN, { spec: {} })).body.status.token as string;
  const [h, p, s] = good.split('.');
  const claims = claimsOf(good);
  const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: 'system:serviceaccount:kube-system:admin' })).toString('base64url')}.${s}`;
  assert.equal((await call('GET', '/api/v1/namespaces', forged)).code, 401);
  assert.equal((await call('GET', '/api/v1/namespaces', `${h}.${p}.${s!.slice(0, -4)}AAAA`)).code, 401);
  const other = new TokenSigner(generateSigningKey());
  const sa = claims['kubernetes.io'].serviceaccount;
  assert.equal((await call('GET', '/api/v1/namespaces', other.sign(tokenClaims({ namespace: 'default', serviceAccount: sa, audiences: [SERVICE_ACCOUNT_ISSUER], expirationSeconds: 600 })))).code, 401);
  const otherAud = (await call('POST', tokenPath('default', 'robot'), ADMIN, { spec: { audiences: ['vault'] } })).body.status.token as string;
  assert.deepEqual(claimsOf(otherAud).aud, ['vault']);
  assert.equal((await call('GET', '/api/v1/namespaces', otherAud)).code, 401);
  const signer = cp.api.authn.signer;
  const old = signer.sign(tokenClaims({ namespace: 'default', serviceAccount: sa, audiences: [SERVICE_ACCOUNT_ISSUER], expirationSeconds: 600, now: new Date(Date.now() - 3600_000) }));
  assert.equal((await call('GET', '/api/v1/namespaces', old)).code, 401);

  assert.equal((await call('DELETE', '/api/v1/namespaces/default/serviceaccounts/robot', ADMIN)).code, 200);
  assert.equal((await call('GET', '/api/v1/namespaces', good)).code, 401, 'the account is gone');
  assert.equal((await call('POST', '/api/v1/namespaces/default/serviceaccounts', ADMIN, { metadata: { name: 'robot' } })).code, 201);
  assert.equal((await call('GET', '/api/v1/namespaces', good)).code, 401, 'a new account of the same name has another uid');
});

test('bad TokenRequests get upstream\'s Status errors', async () => {
  const missing = await call('POST', tokenPath('default', 'nobody'), ADMIN, { spec: {} });
  assert.equal(missing.code, 404);
  assert.equal(missing.body.message, 'serviceaccounts "nobody" not found');
  const short = await call('POST', tokenPath('default', 'robot'), ADMIN, { spec: { expirationSeconds: 60 } });
  assert.equal(short.code, 422);
  assert.equal(short.body.reason, 'Invalid');
  assert.equal(short.body.message, 'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes');
  const name = await call('POST', tokenPath('default', 'robot'), ADMIN, { metadata: { name: 'other' }, spec: {} });
  assert.equal(name.code, 422);
  assert.match(name.body.message, /metadata.name: Invalid value: "other": must match the service account name if specified/);
  const kind = await call('POST', tokenPath('default', 'robot'), ADMIN, { spec: { boundObjectRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'x' } } });
  assert.equal(kind.code, 400);
  assert.equal(kind.body.message, 'cannot bind token to object of type apps/v1, Kind=Deployment');
  const nopod = await call('POST', tokenPath('default', 'robot'), ADMIN, { spec: { boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'gone' } } });
  assert.equal(nopod.code, 404);
  assert.equal(nopod.body.message, 'pods "gone" not found');
  assert.equal((await call('GET', tokenPath('default', 'robot'), ADMIN)).code, 405);
  assert.equal((await call('POST', tokenPath('default', 'robot'), undefined, { spec: {} })).code, 401);
});

test('ServiceAccount admission: the kube-api-access volume in every container; pod-bound tokens for it', async () => {
  const pod = {
    metadata: { name: 'web' },
    spec: { initContainers: [{ name: 'init', image: 'busybox' }], containers: [{ name: 'c', image: 'nginx' }, { name: 'd', image: 'nginx' }] },
  };
  const r = await call('POST', '/api/v1/namespaces/default/pods', ADMIN, pod);
  assert.equal(r.code, 201, JSON.stringify(r.body));
  const spec = r.body.spec;
  assert.equal(spec.serviceAccountName, 'default');
  assert.equal(spec.volumes.length, 1);
  const vol = spec.volumes[0];
  assert.match(vol.name, /^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  assert.deepEqual(vol.projected, {
    defaultMode: 420,
    sources: [
      { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
      { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
    ],
  });
  for (const c of [...spec.initContainers, ...spec.containers]) {
    assert.deepEqual(c.volumeMounts, [{ name: vol.name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }]);
  }

  // The kubelet's request: bound to the pod, 3607 s, so extended to a year that warns after the hour.
  const tr = await call('POST', tokenPath('default', 'default'), ADMIN, {
    spec: { audiences: [], expirationSeconds: 3607, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'web', uid: r.body.metadata.uid } },
  });
  assert.equal(tr.code, 201, JSON.stringify(tr.body));
  const c = claimsOf(tr.body.status.token);
  assert.deepEqual(c['kubernetes.io'].pod, { name: 'web', uid: r.body.metadata.uid });
  assert.equal(c.exp - c.iat, 365 * 24 * 3600);
  assert.equal(c['kubernetes.io'].warnafter - c.iat, 3607);
  assert.equal((Date.parse(tr.body.status.expirationTimestamp) / 1000) - c.iat, 3607, 'the status tells the kubelet the requested lifetime');
  const who = await call('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', tr.body.status.token, {});
  assert.deepEqual(who.body.status.userInfo.extra['authentication.kubernetes.io/pod-name'], ['web']);

  const wrongUid = await call('POST', tokenPath('default', 'default'), ADMIN, { spec: { boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'web', uid: 'nope' } } });
  assert.equal(wrongUid.code, 409);
  const otherSA = await call('POST', tokenPath('default', 'robot'), ADMIN, { spec: { boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'web' } } });
  assert.equal(otherSA.code, 400);
  assert.equal(otherSA.body.message, 'cannot bind token for serviceaccount "robot" to pod running with different serviceaccount name.');

  await call('DELETE', '/api/v1/namespaces/default/pods/web?gracePeriodSeconds=0', ADMIN);
  assert.equal((await call('GET', '/api/v1/namespaces', tr.body.status.token)).code, 401, 'the pod is gone, and so is its token');
});

test('ServiceAccount admission: automount false (pod or account), an own mount at the path, a missing account', async () => {
  const mk = async (name: string, spec: Record<string, unknown>) => call('POST', '/api/v1/namespaces/default/pods', ADMIN, { metadata: { name }, spec: { containers: [{ name: 'c', image: 'nginx' }], ...spec } });
  const off = await mk('off', { automountServiceAccountToken: false });
  assert.equal(off.body.spec.volumes, undefined);
  await call('POST', '/api/v1/namespaces/default/serviceaccounts', ADMIN, { metadata: { name: 'quiet' }, automountServiceAccountToken: false });
  assert.equal((await mk('quiet', { serviceAccountName: 'quiet' })).body.spec.volumes, undefined);
  const podWins = await mk('loud', { serviceAccountName: 'quiet', automountServiceAccountToken: true });
  assert.equal(podWins.body.spec.volumes.length, 1);
  const own = await mk('own', {
    volumes: [{ name: 'mine', emptyDir: {} }],
    containers: [{ name: 'c', image: 'nginx', volumeMounts: [{ name: 'mine', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }] }],
  });
  assert.deepEqual(own.body.spec.volumes.map((v: { name: string }) => v.name), ['mine']);
  const missing = await mk('lost', { serviceAccountName: 'ghost' });
  assert.equal(missing.code, 403);
  assert.equal(missing.body.message, 'pods "lost" is forbidden: error looking up service account default/ghost: serviceaccount "ghost" not found');
});
