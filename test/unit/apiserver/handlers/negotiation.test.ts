import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane } from '../../../../src/apiserver/server.js';
import { negotiate } from '../../../../src/apiserver/handlers/negotiation.js';
import { generateClusterCertificates } from '../../../../src/cli/certificates.js';
import { ensureGenerated } from '../../api/openapi/helpers.js';

// PartialObjectMetadata(List) through the real API server, with the Accept headers client-go's
// metadata client sends for list and for watch.

const TOKEN = 'admin-token';
const LIST_ACCEPT = 'application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
const WATCH_ACCEPT = 'application/vnd.kubernetes.protobuf;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';
let dir: string;
let socketPath: string;
let cp: Awaited<ReturnType<typeof startControlPlane>>;

interface Reply {
  code: number;
  type: string;
  body: any;
}

function call(method: string, path: string, accept: string, body?: unknown): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const headers = { authorization: `Bearer ${TOKEN}`, accept, ...(data ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(data)) } : {}) };
    const req = request({ socketPath, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, type: String(res.headers['content-type']), body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** The first `n` events of a watch, then the watch is closed. */
function watchEvents(path: string, accept: string, n: number): Promise<{ type: string; events: any[] }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, headers: { authorization: `Bearer ${TOKEN}`, accept } }, (res) => {
      let buf = '';
      const events: any[] = [];
      res.on('data', (c: Buffer) => {
        buf += c.toString('utf8');
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          events.push(JSON.parse(buf.slice(0, i)));
          buf = buf.slice(i + 1);
        }
        if (events.length >= n) {
          req.destroy();
          resolve({ type: String(res.headers['content-type']), events: events.slice(0, n) });
        }
      });
    });
    req.on('error', (e) => (e.message === 'socket hang up' ? undefined : reject(e)));
    req.end();
  });
}

before(async () => {
  ensureGenerated();
  dir = mkdtempSync(join(tmpdir(), 'skiff-negotiation-'));
  socketPath = join(dir, 'api.sock');
  const certs = await generateClusterCertificates();
  cp = await startControlPlane({ stateDir: join(dir, 'state'), host: '127.0.0.1', port: 0, cert: certs.serverCert, key: certs.serverKey, tokens: [TOKEN], socketPath, clusterName: 'negotiation' });
  for (const name of ['a', 'b']) {
    const r = await call('POST', '/api/v1/namespaces/default/configmaps', 'application/json', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, labels: { app: name }, annotations: { note: 'kept' } },
      data: { big: 'x'.repeat(1000) },
    });
    assert.equal(r.code, 201, JSON.stringify(r.body));
  }
});

after(async () => {
  await cp.close();
  rmSync(dir, { recursive: true, force: true });
});

test('negotiate takes the first range it can answer, in the client\'s order', () => {
  assert.deepEqual(negotiate(undefined), { as: 'Object' });
  assert.deepEqual(negotiate(LIST_ACCEPT), { as: 'PartialObjectMetadataList', version: 'v1' });
  assert.deepEqual(negotiate(WATCH_ACCEPT), { as: 'PartialObjectMetadata', version: 'v1' });
  assert.deepEqual(negotiate('application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1beta1'), { as: 'PartialObjectMetadata', version: 'v1beta1' });
  assert.deepEqual(negotiate('application/json;as=Table;v=v1;g=meta.k8s.io,application/json'), { as: 'Table' });
  // A conversion of another group, or an unknown one, is passed over.
  assert.deepEqual(negotiate('application/json;as=PartialObjectMetadata;g=example.com;v=v1,application/json'), { as: 'Object' });
  assert.deepEqual(negotiate('application/json;as=Thing;g=meta.k8s.io;v=v1'), { as: 'Object' });
});

test('a list as PartialObjectMetadataList carries each object\'s whole metadata and nothing else', async () => {
  const r = await call('GET', '/api/v1/namespaces/default/configmaps?labelSelector=app%3Da', LIST_ACCEPT);
  assert.equal(r.code, 200, JSON.stringify(r.body));
  assert.equal(r.type, 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1');
  assert.equal(r.body.kind, 'PartialObjectMetadataList');
  assert.equal(r.body.apiVersion, 'meta.k8s.io/v1');
  assert.match(r.body.metadata.resourceVersion, /^\d+$/);
  assert.equal(r.body.items.length, 1);
  const item = r.body.items[0];
  assert.deepEqual(Object.keys(item), ['kind', 'apiVersion', 'metadata']);
  assert.equal(item.kind, 'PartialObjectMetadata');
  assert.equal(item.metadata.name, 'a');
  assert.deepEqual(item.metadata.labels, { app: 'a' });
  assert.deepEqual(item.metadata.annotations, { note: 'kept' });
  assert.ok(item.metadata.uid);

  const paged = await call('GET', '/api/v1/namespaces/default/configmaps?limit=1', LIST_ACCEPT);
  assert.equal(paged.body.items.length, 1);
  assert.ok(paged.body.metadata.continue);
});

test('one object as PartialObjectMetadata; the list kind for one object and the object kind for a list are refused 406', async () => {
  const one = await call('GET', '/api/v1/namespaces/default/configmaps/b', WATCH_ACCEPT);
  assert.equal(one.code, 200);
  assert.deepEqual(Object.keys(one.body), ['kind', 'apiVersion', 'metadata']);
  assert.equal(one.body.metadata.name, 'b');

  const notList = await call('GET', '/api/v1/namespaces/default/configmaps/b', LIST_ACCEPT);
  assert.equal(notList.code, 406);
  assert.equal(notList.body.reason, 'NotAcceptable');
  assert.equal(notList.body.message, 'you requested PartialObjectMetadataList, but the requested object is not a list (*core.ConfigMap)');

  const list = await call('GET', '/apis/apps/v1/deployments', WATCH_ACCEPT);
  assert.equal(list.code, 406);
  assert.equal(list.body.message, 'you requested PartialObjectMetadata, but the requested object is a list (*apps.DeploymentList)');
});

test('a watch as PartialObjectMetadata streams metadata only, also for changes', async () => {
  const list = await call('GET', '/api/v1/namespaces/default/configmaps', LIST_ACCEPT);
  assert.equal(await patchLabel('a'), 200);
  // A watch from the list's version replays the change made since.
  const { type, events } = await watchEvents(`/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${list.body.metadata.resourceVersion}`, WATCH_ACCEPT, 1);
  assert.equal(type, 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1');
  assert.equal(events[0].type, 'MODIFIED');
  assert.deepEqual(Object.keys(events[0].object), ['kind', 'apiVersion', 'metadata']);
  assert.equal(events[0].object.kind, 'PartialObjectMetadata');
  assert.equal(events[0].object.metadata.labels.changed, 'yes');

  const initial = await watchEvents('/api/v1/namespaces/default/configmaps?watch=true', WATCH_ACCEPT, 2);
  assert.deepEqual(initial.events.map((e) => [e.type, e.object.kind]), [['ADDED', 'PartialObjectMetadata'], ['ADDED', 'PartialObjectMetadata']]);
});

function patchLabel(name: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify({ metadata: { labels: { changed: 'yes' } } });
    const req = request(
      { socketPath, method: 'PATCH', path: `/api/v1/namespaces/default/configmaps/${name}`, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/merge-patch+json', 'content-length': String(Buffer.byteLength(data)) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}
