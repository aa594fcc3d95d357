import { test } from 'node:test';
import assert from 'node:assert/strict';
import { daemonSetPrinter } from '../../../../src/api/printers/daemonset.js';
import { NOW, SECOND, ago, obj } from './helpers.js';

// Expected cells from upstream TestPrintDaemonSet.

test('daemonsets: desired, current, ready, up-to-date, available, node selector; wide containers, images, selector', () => {
  assert.deepEqual(daemonSetPrinter.columns.map((c) => `${c.name}${c.priority ? '*' : ''}`), [
    'Name', 'Desired', 'Current', 'Ready', 'Up-to-date', 'Available', 'Node Selector', 'Age', 'Containers*', 'Images*', 'Selector*',
  ]);
  const ds = obj(
    { name: 'test1', creationTimestamp: ago(-1.9 * SECOND) },
    {
      spec: {
        template: { spec: { containers: [{ name: 'fake-container1', image: 'fake-image1' }, { name: 'fake-container2', image: 'fake-image2' }] } },
        selector: { matchLabels: { foo: 'bar' } },
      },
      status: { currentNumberScheduled: 2, desiredNumberScheduled: 3, numberReady: 1, updatedNumberScheduled: 2, numberAvailable: 0 },
    },
  );
  assert.deepEqual(daemonSetPrinter.cells(ds, NOW), ['test1', 3, 2, 1, 2, 0, '<none>', '0s', 'fake-container1,fake-container2', 'fake-image1,fake-image2', 'foo=bar']);
  const pinned = obj({ name: 'agent', creationTimestamp: ago(0) }, { spec: { template: { spec: { nodeSelector: { zone: 'b', disk: 'ssd' }, containers: [] } } } });
  assert.deepEqual(daemonSetPrinter.cells(pinned, NOW).slice(1, 7), [0, 0, 0, 0, 0, 'disk=ssd,zone=b']);
});
