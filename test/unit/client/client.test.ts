import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiClient, ApiError, isAlreadyExists, isConflict, isNotFound, resourceOf, type WatchEvent } from '../../../src/client/client.js';
import { KINDS } from '../../../src/api/kinds.js';

interface Seen {
  method: string;
  url: string;
  accept?: string;
  auth?: string;
  contentType?: string;
  body: string;
}

async function withServer(
  handler: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void,
  fn: (client: ApiClient, seen: Seen[]) => Promise<void>,
): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-client-'));
  const sock = path.join(dir, 'api.sock');
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, accept: req.headers.accept, auth: req.headers.authorization, contentType: req.headers['content-type'], body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((r) => server.listen(sock, r));
  const client = new ApiClient({ socketPath: sock, token: 'tok' });
  try {
    await fn(client, seen);
  } finally {
    await client.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const deployments = resourceOf(KINDS.find((k) => k.kind === 'Deployment')!);
const pods = resourceOf(KINDS.find((k) => k.kind === 'Pod')!);

function json(res: http.ServerResponse, code: number, obj: unknown) {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(obj));
}

test('resourceOf carries group, version and plural', () => {
  assert.deepEqual(deployments, { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment', namespaced: true });
});

test('CRUD requests use upstream paths, the bearer token and JSON bodies', async () => {
  await withServer(
    (req, res, body) => json(res, req.method === 'POST' ? 201 : 200, body ? JSON.parse(body) : { items: [], metadata: { resourceVersion: '7' } }),
    async (client, seen) => {
      await client.get(pods, 'default', 'p1');
      const list = await client.list(deployments, 'ns1', { labelSelector: 'app=web,tier in (a,b)', limit: 500 });
      assert.equal(list.metadata.resourceVersion, '7');
      await client.list(pods);
      await client.create(deployments, 'ns1', { metadata: { name: 'web' } });
      await client.update(deployments, { metadata: { name: 'web', namespace: 'ns1' } });
      await client.updateStatus(deployments, { metadata: { name: 'web', namespace: 'ns1' } });
      await client.patch(deployments, 'ns1', 'web', 'merge', { spec: { replicas: 2 } }, 'scale');
      await client.delete(pods, 'default', 'p1', { propagationPolicy: 'Foreground', preconditions: { uid: 'u1' } });
      const ns = resourceOf(KINDS.find((k) => k.kind === 'Namespace')!);
      await client.update(ns, { metadata: { name: 'gone', namespace: 'ignored' } }, 'finalize');
      assert.deepEqual(
        seen.map((s) => `${s.method} ${s.url}`),
        [
          'GET /api/v1/namespaces/default/pods/p1',
          'GET /apis/apps/v1/namespaces/ns1/deployments?labelSelector=app%3Dweb%2Ctier%20in%20(a%2Cb)&limit=500',
          'GET /api/v1/pods',
          'POST /apis/apps/v1/namespaces/ns1/deployments',
          'PUT /apis/apps/v1/namespaces/ns1/deployments/web',
          'PUT /apis/apps/v1/namespaces/ns1/deployments/web/status',
          'PATCH /apis/apps/v1/namespaces/ns1/deployments/web/scale',
          'DELETE /api/v1/namespaces/default/pods/p1',
          'PUT /api/v1/namespaces/gone/finalize',
        ],
      );
      assert.ok(seen.every((s) => s.auth === 'Bearer tok'));
      assert.equal(seen[6].contentType, 'application/merge-patch+json');
      assert.deepEqual(JSON.parse(seen[7].body), {
        kind: 'DeleteOptions',
        apiVersion: 'v1',
        propagationPolicy: 'Foreground',
        preconditions: { uid: 'u1' },
      });
    },
  );
});

test('failures become ApiError with the Status body', async () => {
  const statuses: Record<string, [number, string]> = {
    '/api/v1/namespaces/default/pods/missing': [404, 'NotFound'],
    '/api/v1/namespaces/default/pods/conflict': [409, 'Conflict'],
    '/api/v1/namespaces/default/pods/exists': [409, 'AlreadyExists'],
  };
  await withServer(
    (req, res) => {
      const [code, reason] = statuses[req.url!] ?? [500, 'InternalError'];
      json(res, code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, code, message: `pods "x" ${reason}` });
    },
    async (client) => {
      const err = await client.get(pods, 'default', 'missing').catch((e) => e);
      assert.ok(err instanceof ApiError);
      assert.equal(err.status, 404);
      assert.equal(err.body.reason, 'NotFound');
      assert.match(err.message, /getting pods default\/missing: pods "x" NotFound/);
      assert.ok(isNotFound(err) && !isConflict(err));
      const conflict = await client.get(pods, 'default', 'conflict').catch((e) => e);
      assert.ok(isConflict(conflict) && !isAlreadyExists(conflict));
      const exists = await client.get(pods, 'default', 'exists').catch((e) => e);
      assert.ok(isAlreadyExists(exists) && !isConflict(exists));
    },
  );
});

test('watch parses newline-delimited events split across chunks and stops on abort', async () => {
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => (release = r));
  await withServer(
    (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      const a = JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'a', resourceVersion: '2' } } });
      const b = JSON.stringify({ type: 'DELETED', object: { metadata: { name: 'ü', resourceVersion: '3' } } });
      const all = Buffer.from(`${a}\n${b}\n`);
      // Split inside a multi-byte character to prove decoding is stream-safe.
      const cut = all.indexOf(Buffer.from('ü')) + 1;
      res.write(all.subarray(0, 10));
      res.write(all.subarray(10, cut));
      res.write(all.subarray(cut));
      void gate.then(() => res.end());
    },
    async (client, seen) => {
      const events: WatchEvent[] = [];
      const ac = new AbortController();
      const done = client.watch(pods, 'default', { resourceVersion: '1', allowWatchBookmarks: true, timeoutSeconds: 30 }, (ev) => {
        events.push(ev);
        if (events.length === 2) ac.abort();
      }, ac.signal);
      await done;
      release();
      assert.deepEqual(events.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED a', 'DELETED ü']);
      assert.equal(seen[0].url, '/api/v1/namespaces/default/pods?watch=true&resourceVersion=1&allowWatchBookmarks=true&timeoutSeconds=30');
    },
  );
});

test('watch resolves when the server ends the stream and rejects on an HTTP error', async () => {
  await withServer(
    (req, res) => {
      if (req.url!.includes('services')) return json(res, 410, { kind: 'Status', reason: 'Expired', code: 410, message: 'too old' });
      res.writeHead(200);
      res.end(JSON.stringify({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '9' } } }));
    },
    async (client) => {
      const events: WatchEvent[] = [];
      await client.watch(pods, undefined, {}, (e) => events.push(e));
      assert.equal(events.length, 1);
      assert.equal(events[0].type, 'BOOKMARK');
      const svc = { group: '', version: 'v1', plural: 'services' };
      await assert.rejects(client.watch(svc, undefined, {}, () => {}), (e: unknown) => e instanceof ApiError && e.status === 410);
    },
  );
});

test("metadata-only lists and watches ask for PartialObjectMetadata(List) as client-go's metadata client does", async () => {
  await withServer(
    (req, res) => {
      if (req.url!.includes('watch=true')) {
        res.writeHead(200);
        return res.end(JSON.stringify({ type: 'ADDED', object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: { name: 'p' } } }));
      }
      json(res, 200, { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: '5' }, items: [] });
    },
    async (client, seen) => {
      await client.list(pods, undefined, { metadataOnly: true });
      await client.watch(pods, undefined, { metadataOnly: true }, () => {});
      await client.list(pods);
      assert.deepEqual(
        seen.map((s) => s.accept),
        [
          'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json',
          'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json',
          'application/json',
        ],
      );
    },
  );
});
