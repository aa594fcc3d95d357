import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane } from '../../../src/apiserver/server.js';
import { KINDS } from '../../../src/api/kinds.js';
import { Registry } from '../../../src/api/registry.js';
import type { KObject, ResourceDef } from '../../../src/api/types.js';
import { generateClusterCertificates } from '../../../src/cli/certificates.js';

// A kind is data: a definition plus optional strategy hooks, registered with the registry and
// served by the unchanged API server (discovery, verbs, its strategy and its subresource).

const TOKEN = 'admin-token';
const GROUP = 'example.skiff.dev';
let dir: string;
let socketPath: string;
let cp: Awaited<ReturnType<typeof startControlPlane>>;

const widget: ResourceDef = {
  group: GROUP,
  kind: 'Widget',
  listKind: 'WidgetList',
  plural: 'widgets',
  singular: 'widget',
  namespaced: true,
  shortNames: ['wd'],
  versions: ['v1'],
  storageVersion: 'v1',
  verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  status: true,
  subresources: [{ name: 'approval', responseKind: { group: GROUP, version: 'v1', kind: 'Widget' }, verbs: ['update'] }],
  strategy: {
    prepareForCreate(obj) {
      obj.status = { phase: 'Pending' };
    },
    returnDeletedObject: true,
    subresources: {
      approval: { update: (obj, old) => ({ ...old, spec: { ...(old.spec as object), approved: (obj.spec as { approved?: boolean }).approved } }) },
    },
  },
};

interface Reply {
  code: number;
  body: Record<string, any>;
}

function call(method: string, path: string, body?: unknown): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request({ socketPath, method, path, headers: { authorization: `Bearer ${TOKEN}`, ...(data ? { 'content-type': 'application/json' } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ code: res.statusCode ?? 0, body: text ? JSON.parse(text) : {} });
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skiff-kind-'));
  socketPath = join(dir, 'api.sock');
  const certs = await generateClusterCertificates();
  const registry = new Registry([...KINDS, widget]);
  cp = await startControlPlane({ stateDir: join(dir, 'state'), host: '127.0.0.1', port: 0, cert: certs.serverCert, key: certs.serverKey, tokens: [TOKEN], socketPath, clusterName: 'kind', registry });
});

after(async () => {
  await cp.close();
  rmSync(dir, { recursive: true, force: true });
});

const base = `/apis/${GROUP}/v1/namespaces/default/widgets`;

test('discovery lists the new kind and its subresources from its definition', async () => {
  const r = await call('GET', `/apis/${GROUP}/v1`);
  assert.equal(r.code, 200);
  const names = (r.body.resources as { name: string; kind: string; shortNames?: string[] }[]).map((x) => x.name);
  assert.deepEqual(names, ['widgets', 'widgets/approval', 'widgets/status']);
  assert.deepEqual(r.body.resources[0].shortNames, ['wd']);
  const groups = await call('GET', '/apis');
  assert.ok((groups.body.groups as { name: string }[]).some((g) => g.name === GROUP));
});

test('create, the subresource and delete follow the kind\'s strategy', async () => {
  const created = await call('POST', base, { apiVersion: `${GROUP}/v1`, kind: 'Widget', metadata: { name: 'w1' }, spec: { size: 3 }, status: { phase: 'Done' } });
  assert.equal(created.code, 201, JSON.stringify(created.body));
  assert.deepEqual(created.body.status, { phase: 'Pending' }, 'prepareForCreate sets the status');

  const approved = await call('PUT', `${base}/w1/approval`, { apiVersion: `${GROUP}/v1`, kind: 'Widget', metadata: { name: 'w1' }, spec: { size: 99, approved: true } });
  assert.equal(approved.code, 200, JSON.stringify(approved.body));
  assert.deepEqual(approved.body.spec, { size: 3, approved: true }, 'the subresource changes only what its strategy lets it');

  assert.equal((await call('POST', `${base}/w1/approval`, {})).code, 405);
  assert.equal((await call('GET', `${base}/w1/nothing`)).code, 404);

  const list = await call('GET', base);
  assert.equal(list.body.kind, 'WidgetList');
  assert.deepEqual((list.body.items as KObject[]).map((o) => o.metadata.name), ['w1']);

  const deleted = await call('DELETE', `${base}/w1`);
  assert.equal(deleted.code, 200);
  assert.equal(deleted.body.kind, 'Widget', 'returnDeletedObject answers with the object, not a Status');
  assert.equal((await call('GET', `${base}/w1`)).code, 404);
});

test('deletecollection is refused where the definition does not list it', async () => {
  assert.equal((await call('DELETE', base)).code, 405);
});
