import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane } from '../../../src/apiserver/server.js';
import { generateClusterCertificates } from '../../../src/cli/certificates.js';
import { goJsonSyntaxError } from '../../../src/apiserver/json-syntax.js';
import { ensureGenerated } from '../api/openapi/helpers.js';

// Bad input through the real API server on its unix socket, answered as upstream answers it:
// typed decoding, wrong kinds, oversized and endless bodies, nesting, resourceVersion.

const TOKEN = 'admin-token';
let dir: string;
let socketPath: string;
let cp: Awaited<ReturnType<typeof startControlPlane>>;

interface Reply {
  code: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, any>;
}

function call(method: string, path: string, body?: unknown, contentType = 'application/json', extra: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = request({ socketPath, method, path, headers: { authorization: `Bearer ${TOKEN}`, ...(data ? { 'content-type': contentType, 'content-length': String(Buffer.byteLength(data)) } : {}), ...extra } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ code: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : {} });
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

before(async () => {
  ensureGenerated();
  dir = mkdtempSync(join(tmpdir(), 'skiff-apim-'));
  socketPath = join(dir, 'api.sock');
  const certs = await generateClusterCertificates();
  cp = await startControlPlane({ stateDir: join(dir, 'state'), host: '127.0.0.1', port: 0, cert: certs.serverCert, key: certs.serverKey, tokens: [TOKEN], socketPath, clusterName: 'apim', requestTimeoutMs: 1500 });
});

after(async () => {
  await cp.close();
  rmSync(dir, { recursive: true, force: true });
});

const badRequest = (r: Reply, message: string) => {
  assert.equal(r.code, 400, JSON.stringify(r.body));
  assert.equal(r.body.reason, 'BadRequest');
  assert.equal(r.body.message, message);
};

const deployment = (replicas: unknown) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
});

test('bodies are decoded against the kind\'s types, with the Go decoder\'s message', async () => {
  badRequest(
    await call('POST', '/apis/apps/v1/namespaces/default/deployments', deployment('three')),
    'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32',
  );
  badRequest(
    await call('POST', '/apis/apps/v1/namespaces/default/deployments', deployment(1.5)),
    'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32',
  );
  badRequest(
    await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'x' }, data: { a: 1 } }),
    'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ConfigMap.data of type string',
  );
  badRequest(
    await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'x', labels: ['x'] } }),
    'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal array into Go struct field ObjectMeta.metadata.labels of type map[string]string',
  );
  const bad = deployment(1);
  (bad.spec.template.spec.containers[0] as Record<string, unknown>).image = 5;
  badRequest(
    await call('POST', '/apis/apps/v1/namespaces/default/deployments', bad),
    'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal number into Go struct field Container.spec.template.spec.containers.image of type string',
  );
  // The same through PUT and through a merge patch; nothing was stored by the refusals.
  assert.equal((await call('GET', '/api/v1/namespaces/default/configmaps/x')).code, 404);
  assert.equal((await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'x' }, data: { a: '1' } })).code, 201);
  badRequest(
    await call('PUT', '/api/v1/namespaces/default/configmaps/x', { metadata: { name: 'x' }, data: { a: true } }),
    'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal bool into Go struct field ConfigMap.data of type string',
  );
  badRequest(
    await call('PATCH', '/api/v1/namespaces/default/configmaps/x', { data: { a: 1 } }, 'application/merge-patch+json'),
    'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ConfigMap.data of type string',
  );
  // Quantities and int-or-strings take either JSON type, as their Go types do.
  const ok = deployment(2);
  Object.assign(ok.spec.template.spec.containers[0], { resources: { limits: { cpu: 1, memory: '64Mi' } }, ports: [{ containerPort: 80 }] });
  Object.assign(ok.spec, { strategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: '25%' } } });
  assert.equal((await call('POST', '/apis/apps/v1/namespaces/default/deployments', ok)).code, 201);
});

test('a body that is not JSON names the endpoint\'s kind and quotes the body, as transformDecodeError', async () => {
  const yaml = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: valid-pod\n';
  badRequest(
    await call('POST', '/api/v1/namespaces', yaml),
    `the object provided is unrecognized (must be of type Namespace): couldn't get version/kind; json parse error: invalid character 'a' looking for beginning of value (${Buffer.from(yaml).subarray(0, 30).toString('hex')} ...)`,
  );
  badRequest(await call('POST', '/api/v1/namespaces', '{"kind":'), 'the object provided is unrecognized (must be of type Namespace): couldn\'t get version/kind; json parse error: unexpected end of JSON input ({"kind":)');
  // A kind the scheme knows, but not this endpoint's: decoded, then not convertible.
  badRequest(
    await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } }),
    'Pod in version "v1" cannot be handled as a Namespace: converting (k8s.io/api/core/v1) Pod to (k8s.io/kubernetes/pkg/apis/core) Namespace: unknown conversion',
  );
});

test('Go\'s JSON syntax errors', () => {
  assert.equal(goJsonSyntaxError('{"a":1}'), undefined);
  assert.equal(goJsonSyntaxError(''), 'unexpected end of JSON input');
  assert.equal(goJsonSyntaxError('{"a" 1}'), "invalid character '1' after object key");
  assert.equal(goJsonSyntaxError('{"a":1 "b":2}'), 'invalid character \'"\' after object key:value pair');
  assert.equal(goJsonSyntaxError('[1 2]'), "invalid character '2' after array element");
  assert.equal(goJsonSyntaxError('{a:1}'), "invalid character 'a' looking for beginning of object key string");
  assert.equal(goJsonSyntaxError('{} x'), "invalid character 'x' after top-level value");
  assert.equal(goJsonSyntaxError('[tru]'), "invalid character ']' in literal true (expecting 'e')");
  assert.equal(goJsonSyntaxError('[1.]'), "invalid character ']' after decimal point in numeric literal");
  assert.equal(goJsonSyntaxError('"\\q"'), "invalid character 'q' in string escape code");
});

test('JSON.parse accepts what Go\'s scanner accepts, so a body is scanned in Go\'s words only when it fails', () => {
  const tricky = [
    '{}', '[]', ' {"a" : [1, -0, 1e5, 1E-5, 0.5, true, false, null, "\\u00e9\\n"]} ', '\ufeff{}', '{"a":1,}', '[1,]', '01', '-', '1.', '.5', '+1',
    '"\t"', '"\u0001"', '"\\x41"', '"\\ud800"', 'nul', 'NaN', 'Infinity', "{'a':1}", '{"a":1}{}', '[', '"abc', '\u00a0{}', '{"a":\n1\r}',
  ];
  // A pod body with each of its characters in turn dropped, doubled or swapped for another.
  const pod = JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'busybox', args: ['-c', 'x'], ports: [{ containerPort: 80 }] }], priority: -1.5e3 } });
  const texts = [...tricky];
  for (let i = 0; i < pod.length; i++) {
    texts.push(pod.slice(0, i) + pod.slice(i + 1), pod.slice(0, i) + pod[i] + pod.slice(i), pod.slice(0, i) + '},]:"\\ 0e-.t'[i % 14] + pod.slice(i + 1));
  }
  for (const text of texts) {
    let parsed = true;
    try {
      JSON.parse(text);
    } catch {
      parsed = false;
    }
    assert.equal(goJsonSyntaxError(text) === undefined, parsed, text);
  }
});

test('a chunked body past 3 MiB is answered 413 and the connection closed; a stalled one 504 at the time limit', async () => {
  const tooLarge = await new Promise<{ code: number; body: Record<string, unknown>; connection?: string }>((resolve, reject) => {
    const req = request({ socketPath, method: 'POST', path: '/api/v1/namespaces/default/configmaps', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body: JSON.parse(text), connection: res.headers.connection }));
    });
    req.on('error', () => undefined); // writes after the server closed
    const chunk = Buffer.alloc(256 * 1024, 'a');
    let answered = false;
    // Never ends on its own: without the 413 this test would hang.
    const pump = (): void => {
      if (req.destroyed || answered) return;
      if (req.write(chunk)) setImmediate(pump);
      else req.once('drain', pump);
    };
    req.once('response', () => (answered = true));
    pump();
    setTimeout(() => reject(new Error('no answer to an endless body')), 20_000).unref();
  });
  assert.equal(tooLarge.code, 413);
  assert.equal(tooLarge.body.reason, 'RequestEntityTooLarge');
  assert.equal(tooLarge.body.message, 'Request entity too large: limit is 3145728');
  assert.equal(tooLarge.connection, 'close');

  // A body that stops arriving: the request is cut at the (here 1.5 s) time limit.
  const timedOut = await new Promise<{ code: number; body: Record<string, unknown> }>((resolve, reject) => {
    const req = request({ socketPath, method: 'POST', path: '/api/v1/namespaces/default/configmaps', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.write('{"metadata":');
    setTimeout(() => reject(new Error('no answer to a stalled body')), 10_000).unref();
  });
  assert.equal(timedOut.code, 504);
  assert.deepEqual(timedOut.body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Timeout: request did not complete within the allotted timeout', reason: 'Timeout', details: {}, code: 504 });

  // Watches are long-running: still open past the limit.
  const watched = await new Promise<number>((resolve, reject) => {
    const req = request({ socketPath, method: 'GET', path: '/api/v1/namespaces/default/configmaps?watch=true', headers: { authorization: `Bearer ${TOKEN}` } }, (res) => {
      setTimeout(() => {
        resolve(res.statusCode ?? 0);
        req.destroy();
      }, 2000);
      res.on('end', () => reject(new Error('the watch was cut')));
    });
    req.on('error', () => undefined);
    req.end();
  });
  assert.equal(watched, 200);
});

test('nesting past encoding/json\'s limit is refused with its message; deep values in typed fields are type errors', async () => {
  const nested = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
  const tooDeep = await call('POST', '/api/v1/namespaces/default/configmaps', `{"metadata":{"name":"deep"},"data":${nested(10001)}}`);
  badRequest(tooDeep, `the object provided is unrecognized (must be of type ConfigMap): couldn't get version/kind; json parse error: invalid character '{' exceeded max depth ({"metadata":{"name":"deep"},"d ...)`);
  const typed = 'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal object into Go struct field ConfigMap.data of type string';
  badRequest(await call('POST', '/api/v1/namespaces/default/configmaps', `{"metadata":{"name":"deep"},"data":{"x":${nested(2000)}}}`), typed);
  for (const type of ['application/merge-patch+json', 'application/strategic-merge-patch+json']) {
    badRequest(await call('PATCH', '/api/v1/namespaces/default/configmaps/x', `{"data":{"x":${nested(2000)}}}`, type), typed);
  }
  badRequest(await call('PATCH', '/api/v1/namespaces/default/configmaps/x', `[{"op":"add","path":"/data/y","value":${nested(2000)}}]`, 'application/json-patch+json'), typed);
  badRequest(await call('PATCH', '/api/v1/namespaces/default/configmaps/x?fieldManager=m', `{"apiVersion":"v1","kind":"ConfigMap","data":{"x":${nested(2000)}}}`, 'application/apply-patch+yaml'), typed);
  badRequest(await call('PATCH', '/api/v1/namespaces/default/configmaps/x', `{"data":${nested(10001)}}`, 'application/merge-patch+json'), "error decoding patch: invalid character '{' exceeded max depth");
  // An unknown field is dropped by the decoder whatever it holds.
  const r = await call('POST', '/api/v1/namespaces/default/configmaps', `{"metadata":{"name":"deep"},"extra":${nested(2000)}}`);
  assert.equal(r.code, 201, JSON.stringify(r.body).slice(0, 300));
  assert.equal(r.body.extra, undefined);
});

test('resourceVersion: future versions time out with the ResourceVersionTooLarge cause, malformed ones are refused, exact old ones expired', async () => {
  const watch = await call('GET', '/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=99999999999');
  assert.equal(watch.code, 504);
  assert.equal(watch.headers['retry-after'], '1');
  assert.equal(watch.body.reason, 'Timeout');
  assert.match(watch.body.message, /^Timeout: Too large resource version: 99999999999, current: \d+$/);
  assert.deepEqual(watch.body.details, { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 });

  badRequest(await call('GET', '/api/v1/namespaces/default/configmaps?resourceVersion=abc'), 'invalid resource version: resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax');
  badRequest(await call('GET', '/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=abc'), 'invalid resource version: resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax');

  const expired = await call('GET', '/api/v1/namespaces/default/configmaps?resourceVersion=1&resourceVersionMatch=Exact');
  assert.equal(expired.code, 410);
  assert.equal(expired.body.reason, 'Expired');
  assert.equal(expired.body.message, 'The resourceVersion for the provided list is too old.');

  const list = await call('GET', '/api/v1/namespaces/default/configmaps');
  const current = list.body.metadata.resourceVersion as string;
  assert.equal((await call('GET', `/api/v1/namespaces/default/configmaps?resourceVersion=${current}&resourceVersionMatch=Exact`)).code, 200);
  assert.equal((await call('GET', `/api/v1/namespaces/default/configmaps?resourceVersion=${current}&resourceVersionMatch=NotOlderThan`)).code, 200);
  const noRv = await call('GET', '/api/v1/namespaces/default/configmaps?resourceVersionMatch=Exact');
  assert.equal(noRv.code, 422);
  assert.equal(noRv.body.message, 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided');
});

test('server-side apply records an Apply entry and leaves other managers\' entries alone', async () => {
  const apply = (manager: string, data: Record<string, string>, force = false) =>
    call('PATCH', `/api/v1/namespaces/default/configmaps/ssa?fieldManager=${manager}${force ? '&force=true' : ''}`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa' }, data }, 'application/apply-patch+yaml');
  const fields = (r: Reply) => (r.body.metadata.managedFields as { manager: string; operation: string; fieldsV1: unknown }[]).map((e) => [e.manager, e.operation, e.fieldsV1]);
  let r = await apply('kubectl', { a: '1' });
  assert.equal(r.code, 201, JSON.stringify(r.body));
  assert.deepEqual(fields(r), [['kubectl', 'Apply', { 'f:data': { 'f:a': {} } }]]);
  r = await call('PATCH', '/api/v1/namespaces/default/configmaps/ssa?fieldManager=editor', { data: { b: '2' } }, 'application/merge-patch+json');
  r = await apply('kubectl', { a: '2' });
  assert.equal(r.code, 200, JSON.stringify(r.body));
  assert.deepEqual(fields(r), [
    ['kubectl', 'Apply', { 'f:data': { 'f:a': {} } }],
    ['editor', 'Update', { 'f:data': { 'f:b': {} } }],
  ]);
  r = await apply('other', { b: '3' });
  assert.equal(r.code, 409);
  assert.equal(r.body.message, 'Apply failed with 1 conflict: conflict with "editor" using v1: .data.b');
  r = await apply('other', { b: '3' }, true);
  assert.deepEqual(fields(r), [
    ['kubectl', 'Apply', { 'f:data': { 'f:a': {} } }],
    ['other', 'Apply', { 'f:data': { 'f:b': {} } }],
  ]);
});

test('DELETE answers 200 while the object waits for its finalizer, 202 only for orphanDependents=false', async () => {
  const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, finalizers: ['example.com/hold'] } });
  for (const name of ['held', 'held-cascade']) assert.equal((await call('POST', '/api/v1/namespaces/default/configmaps', cm(name))).code, 201);
  const plain = await call('DELETE', '/api/v1/namespaces/default/configmaps/held');
  assert.equal(plain.code, 200);
  assert.ok(plain.body.metadata.deletionTimestamp);
  const cascade = await call('DELETE', '/api/v1/namespaces/default/configmaps/held-cascade', { kind: 'DeleteOptions', apiVersion: 'v1', orphanDependents: false });
  assert.equal(cascade.code, 202);
  for (const name of ['held', 'held-cascade']) {
    await call('PATCH', `/api/v1/namespaces/default/configmaps/${name}`, { metadata: { finalizers: null } }, 'application/merge-patch+json');
  }
  const gone = await call('DELETE', '/api/v1/namespaces/default/configmaps/held');
  assert.equal(gone.code, 404);
});
