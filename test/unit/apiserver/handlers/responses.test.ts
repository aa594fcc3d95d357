import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request, type ClientRequest } from 'node:http';
import { LineDecoder } from '../../../../src/client/client.js';
import { TOKEN, useControlPlane } from '../control-plane.js';

// What the API server sends back is read from what it stored, once: several watches of one
// resource, each with its own selector and representation, share an event parsed once; a
// write or read is answered with the stored JSON unless the request needs it converted.

const CM = '/api/v1/namespaces/default/configmaps';
const cp = useControlPlane('responses');

async function call(method: string, path: string, body: unknown, contentType?: string): Promise<number> {
  return (await cp.send(method, path, body, contentType)).code;
}

interface Watch {
  events: any[];
  /** Resolves with the first n events. */
  first(n: number): Promise<any[]>;
  req: ClientRequest;
}

/** Opens a watch and resolves once the server has registered it (its headers arrived). */
function open(query: string, accept = 'application/json'): Promise<Watch> {
  return new Promise((resolve, reject) => {
    const events: any[] = [];
    let waiting: { n: number; done: (e: any[]) => void } | undefined;
    const check = () => {
      if (waiting && events.length >= waiting.n) waiting.done(events.slice(0, waiting.n));
    };
    const req = request({ socketPath: cp.socketPath, path: `${CM}?watch=true&${query}`, headers: { authorization: `Bearer ${TOKEN}`, accept } }, (res) => {
      const lines = new LineDecoder();
      res.on('data', (c: Buffer) => {
        for (const line of lines.push(c)) events.push(JSON.parse(line));
        check();
      });
      resolve({ events, req, first: (n) => new Promise((done) => { waiting = { n, done }; check(); }) });
    });
    req.on('error', (e) => (req.destroyed ? undefined : reject(e)));
    req.end();
  });
}

const summary = (events: any[]) => events.map((e) => [e.type, e.object.kind, e.object.metadata?.labels?.tier ?? e.object.rows?.[0]?.object?.metadata?.labels?.tier]);

test('each watch of one event sees it through its own selector and in its own representation', async () => {
  const front = await open('labelSelector=tier%3Dfront');
  const back = await open('labelSelector=tier%3Dback');
  const all = await open('labelSelector=tier');
  const tables = await open('labelSelector=tier', 'application/json;as=Table;v=v1;g=meta.k8s.io');
  const metadata = await open('labelSelector=tier%3Dfront', 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1');
  try {
    assert.equal(await call('POST', CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'w', labels: { tier: 'front' } }, data: { a: '1' } }), 201);
    assert.equal(await call('PATCH', `${CM}/w`, { metadata: { labels: { tier: 'back' } } }, 'application/merge-patch+json'), 200);
    assert.equal(await call('DELETE', `${CM}/w`, undefined), 200);

    // Leaving a selector is a DELETED of the new state, entering one an ADDED (cacher.go).
    assert.deepEqual(summary(await front.first(2)), [['ADDED', 'ConfigMap', 'front'], ['DELETED', 'ConfigMap', 'back']]);
    assert.deepEqual(summary(await back.first(2)), [['ADDED', 'ConfigMap', 'back'], ['DELETED', 'ConfigMap', 'back']]);
    assert.deepEqual(summary(await all.first(3)), [['ADDED', 'ConfigMap', 'front'], ['MODIFIED', 'ConfigMap', 'back'], ['DELETED', 'ConfigMap', 'back']]);
    assert.deepEqual(summary(await metadata.first(2)), [['ADDED', 'PartialObjectMetadata', 'front'], ['DELETED', 'PartialObjectMetadata', 'back']]);
    const t = await tables.first(3);
    assert.deepEqual(summary(t).map(([type, kind]) => [type, kind]), [['ADDED', 'Table'], ['MODIFIED', 'Table'], ['DELETED', 'Table']]);
    assert.ok(t[0].object.columnDefinitions.length > 0);
    // Each watch got the object as stored: no watch's rendering leaks into another's.
    assert.deepEqual(all.events[1].object.data, { a: '1' });
    assert.equal(all.events[1].object.apiVersion, 'v1');
    assert.equal(all.events[1].object.kind, 'ConfigMap');
  } finally {
    for (const w of [front, back, all, tables, metadata]) w.req.destroy();
  }
});

test('answers to writes and reads are the object as stored, converted when another version was asked for', async () => {
  // The same object answered by create, by a GET and by a write that changes nothing: the text the store holds.
  const created = await cp.send('POST', CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'answer' }, data: { a: '1' } });
  assert.equal(created.code, 201);
  const got = await cp.send('GET', `${CM}/answer`);
  assert.equal(got.text, created.text);
  const unchanged = await cp.send('PUT', `${CM}/answer`, JSON.parse(got.text));
  assert.equal(unchanged.text, got.text);
  const patched = await cp.send('PATCH', `${CM}/answer`, { data: { b: '2' } }, 'application/merge-patch+json');
  assert.deepEqual(JSON.parse(patched.text).data, { a: '1', b: '2' });
  assert.equal((await cp.send('GET', `${CM}/answer`)).text, patched.text);

  // HorizontalPodAutoscaler is stored as autoscaling/v2: a v1 request is answered in v1.
  const HPA = 'namespaces/default/horizontalpodautoscalers';
  const hpa = { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'd' }, maxReplicas: 3, targetCPUUtilizationPercentage: 50 } };
  const v1 = JSON.parse((await cp.send('POST', `/apis/autoscaling/v1/${HPA}`, hpa)).text);
  assert.equal(v1.apiVersion, 'autoscaling/v1');
  assert.equal(v1.spec.targetCPUUtilizationPercentage, 50);
  const v2 = JSON.parse((await cp.send('GET', `/apis/autoscaling/v2/${HPA}/h`)).text);
  assert.equal(v2.apiVersion, 'autoscaling/v2');
  assert.equal(v2.spec.metrics[0].resource.target.averageUtilization, 50);
  const v1again = JSON.parse((await cp.send('GET', `/apis/autoscaling/v1/${HPA}/h`)).text);
  assert.deepEqual(v1again, v1);
});
