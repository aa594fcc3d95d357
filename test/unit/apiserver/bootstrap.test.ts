import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from '../../../src/api/registry.js';
import { Store } from '../../../src/storage/store.js';
import { Objects } from '../../../src/apiserver/objects.js';
import { bootstrap } from '../../../src/apiserver/bootstrap.js';

// The kubernetes Service's endpoints when pods have a way to the API: node 1's relay.

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'skiff-bootstrap-'));
  dirs.push(d);
  return d;
}

function objectsAt(dir: string): { objects: Objects; close(): void } {
  const store = Store.open(dir);
  return { objects: new Objects(store, new Registry()), close: () => store.close() };
}

test('with a pod endpoint, the kubernetes Endpoints, EndpointSlice and targetPort name it; without, the listen address again', () => {
  const dir = tmp();
  const a = objectsAt(dir);
  bootstrap(a.objects, '127.0.0.1:41234', { ip: '172.18.0.2', port: 6443 });
  const reg = a.objects.reg;
  const svc = a.objects.get(reg.kind('', 'Service')!, 'default', 'kubernetes');
  assert.deepEqual((svc.spec as { ports: unknown }).ports, [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }]);
  const ep = a.objects.get(reg.kind('', 'Endpoints')!, 'default', 'kubernetes');
  assert.deepEqual(ep.subsets, [{ addresses: [{ ip: '172.18.0.2' }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] }]);
  const slice = a.objects.get(reg.kind('discovery.k8s.io', 'EndpointSlice')!, 'default', 'kubernetes') as unknown as {
    endpoints: unknown;
    ports: unknown;
  };
  assert.deepEqual(slice.endpoints, [{ addresses: ['172.18.0.2'], conditions: { ready: true } }]);
  assert.deepEqual(slice.ports, [{ name: 'https', port: 6443, protocol: 'TCP' }]);
  a.close();

  const b = objectsAt(dir);
  bootstrap(b.objects, '127.0.0.1:41234');
  const ep2 = b.objects.get(b.objects.reg.kind('', 'Endpoints')!, 'default', 'kubernetes');
  assert.deepEqual(ep2.subsets, [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port: 41234, protocol: 'TCP' }] }]);
  b.close();
});
