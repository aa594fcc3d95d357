import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KINDS, kindKey } from '../../../../src/api/kinds.js';
import { crdPrinter, defaultPrinter, printers, toTable } from '../../../../src/api/printers/index.js';
import { DAY, MINUTE, NOW, ago, obj } from './helpers.js';

test('every served kind has a printer whose rows match its columns', () => {
  for (const def of KINDS) {
    const printer = printers[kindKey(def.group, def.kind)];
    assert.ok(printer, `no printer for ${def.group}/${def.kind}`);
    assert.equal(printer.columns[0].format === 'name' || printer.columns.some((c) => c.format === 'name'), true, `${def.kind} has no name column`);
    const cells = printer.cells(obj({ name: 'x', namespace: 'default' }), NOW);
    assert.equal(cells.length, printer.columns.length, `${def.kind}: ${cells.length} cells for ${printer.columns.length} columns`);
  }
});

const pod = obj(
  {
    name: 'sleep-1',
    namespace: 'default',
    uid: 'u1',
    resourceVersion: '7',
    creationTimestamp: ago(5 * MINUTE),
    labels: { app: 'sleep' },
    managedFields: [{ manager: 'kubectl' }],
  },
  { apiVersion: 'v1', kind: 'Pod', spec: { containers: [{ name: 'c' }] }, status: { phase: 'Running' } },
);

test('toTable: headers, cells and PartialObjectMetadata rows by default', () => {
  const table = toTable(printers['/Pod'], [pod], NOW, { includeObject: 'Metadata' });
  assert.deepEqual(Object.keys(table), ['kind', 'apiVersion', 'metadata', 'columnDefinitions', 'rows']);
  assert.equal(table.kind, 'Table');
  assert.equal(table.apiVersion, 'meta.k8s.io/v1');
  assert.deepEqual(table.metadata, {});
  assert.deepEqual(
    (table.columnDefinitions ?? []).map((c) => c.name),
    ['Name', 'Ready', 'Status', 'Restarts', 'Age', 'IP', 'Node', 'Nominated Node', 'Readiness Gates'],
  );
  assert.deepEqual(table.rows, [
    {
      cells: ['sleep-1', '0/1', 'Running', '0', '5m', '<none>', '<none>', '<none>', '<none>'],
      object: {
        kind: 'PartialObjectMetadata',
        apiVersion: 'meta.k8s.io/v1',
        metadata: { name: 'sleep-1', namespace: 'default', uid: 'u1', resourceVersion: '7', creationTimestamp: ago(5 * MINUTE), labels: { app: 'sleep' } },
      },
    },
  ]);
  // the stored object is left as it was
  assert.ok(pod.metadata.managedFields);
});

test('toTable: full objects, no objects, no headers', () => {
  const full = toTable(printers['/Pod'], [pod], NOW, { includeObject: 'Object' });
  assert.equal(full.rows[0].object, pod);
  const none = toTable(printers['/Pod'], [pod], NOW, { includeObject: 'None', noHeaders: true });
  assert.equal('columnDefinitions' in none, false);
  assert.deepEqual(Object.keys(none.rows[0]), ['cells']);
  const empty = toTable(printers['/Pod'], [], NOW, { includeObject: 'Metadata' });
  assert.deepEqual(empty.rows, []);
});

test('defaultPrinter: Name and Created At as RFC 3339', () => {
  assert.deepEqual(
    defaultPrinter.columns.map((c) => [c.name, c.type, c.format]),
    [
      ['Name', 'string', 'name'],
      ['Created At', 'date', ''],
    ],
  );
  assert.deepEqual(defaultPrinter.cells(obj({ name: 'a', creationTimestamp: '2024-04-30T10:11:12Z' }), NOW), ['a', '2024-04-30T10:11:12Z']);
  assert.deepEqual(defaultPrinter.cells(obj({ name: 'b' }), NOW), ['b', '0001-01-01T00:00:00Z']);
});

test('Istio printers use the CRD printer columns; Age is a date column holding an age', () => {
  const vs = obj(
    { name: 'bookinfo', creationTimestamp: ago(3 * DAY) },
    { spec: { gateways: ['bookinfo-gateway'], hosts: ['*', 'a<b>&c'], http: [] } },
  );
  const p = printers['networking.istio.io/VirtualService'];
  assert.deepEqual(
    p.columns.map((c) => [c.name, c.type, c.format, c.priority]),
    [
      ['Name', 'string', 'name', 0],
      ['Gateways', 'string', '', 0],
      ['Hosts', 'string', '', 0],
      ['Age', 'date', '', 0],
    ],
  );
  assert.deepEqual(p.cells(vs, NOW), ['bookinfo', '["bookinfo-gateway"]', '["*","a\\u003cb\\u003e\\u0026c"]', '3d']);
  // missing values are null cells, which kubectl prints as <none>
  assert.deepEqual(p.cells(obj({ name: 'x', creationTimestamp: ago(0) }, { spec: {} }), NOW), ['x', null, null, '0s']);

  assert.deepEqual(
    printers['networking.istio.io/Gateway'].columns.map((c) => `${c.name}:${c.type}`),
    ['Name:string', 'Age:date'],
  );
  assert.deepEqual(printers['networking.istio.io/DestinationRule'].cells(obj({ name: 'dr', creationTimestamp: ago(45_000) }, { spec: { host: 'reviews' } }), NOW), [
    'dr',
    'reviews',
    '45s',
  ]);
  assert.deepEqual(
    printers['networking.istio.io/ServiceEntry'].cells(
      obj({ name: 'se', creationTimestamp: ago(2 * MINUTE) }, { spec: { hosts: ['wikipedia.org'], location: 'MESH_EXTERNAL', resolution: 'DNS' } }),
      NOW,
    ),
    ['se', '["wikipedia.org"]', 'MESH_EXTERNAL', 'DNS', '2m'],
  );
});

test('crdPrinter: typed cells as the apiextensions table convertor makes them', () => {
  const p = crdPrinter([
    { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
    { name: 'Ratio', type: 'number', jsonPath: '.spec.ratio', priority: 1 },
    { name: 'Paused', type: 'boolean', jsonPath: '.spec.paused' },
    { name: 'First', type: 'string', jsonPath: '.spec.items[0].name' },
    { name: 'Seen', type: 'date', jsonPath: '.status.seen' },
  ]);
  assert.equal(p.columns[1].description, 'Custom resource definition column (in JSONPath format): .spec.replicas');
  assert.equal(p.columns[2].priority, 1);
  assert.deepEqual(p.cells(obj({ name: 'c' }, { spec: { replicas: 3.7, ratio: 0.5, paused: 'yes', items: [{ name: 'i0' }] }, status: { seen: 'not a date' } }), NOW), [
    'c',
    3,
    0.5,
    null,
    'i0',
    '<invalid>',
  ]);
});
