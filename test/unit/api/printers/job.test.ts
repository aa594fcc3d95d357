import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jobPrinter } from '../../../../src/api/printers/job.js';
import { MINUTE, NOW, SECOND, ago, obj } from './helpers.js';

// Expected cells from upstream TestPrintJob (1.32).

const containers = [{ name: 'fake-job-container1', image: 'fake-job-image1' }, { name: 'fake-job-container2', image: 'fake-job-image2' }];

test('jobs: status, completions, duration, age; wide containers, images, selector', () => {
  assert.deepEqual(jobPrinter.columns.map((c) => `${c.name}${c.priority ? '*' : ''}`), ['Name', 'Status', 'Completions', 'Duration', 'Age', 'Containers*', 'Images*', 'Selector*']);
  const running = obj({ name: 'job1', creationTimestamp: ago(0) }, {
    spec: { completions: 2, template: { spec: { containers } }, selector: { matchLabels: { 'job-label': 'job-lable-value' } } },
    status: { succeeded: 1, startTime: ago(-1.9 * SECOND) },
  });
  assert.deepEqual(jobPrinter.cells(running, NOW), ['job1', 'Running', '1/2', '0s', '0s', 'fake-job-container1,fake-job-container2', 'fake-job-image1,fake-job-image2', 'job-label=job-lable-value']);
  const notStarted = obj({ name: 'job2', creationTimestamp: ago(0) }, { spec: { completions: 2 }, status: { succeeded: 1 } });
  assert.deepEqual(jobPrinter.cells(notStarted, NOW).slice(0, 5), ['job2', 'Running', '1/2', '', '0s']);
  const unbounded = obj({ name: 'job3', creationTimestamp: ago(0) }, { spec: { parallelism: 2 }, status: { succeeded: 0, startTime: ago(10 * MINUTE) } });
  assert.deepEqual(jobPrinter.cells(unbounded, NOW).slice(0, 5), ['job3', 'Running', '0/1 of 2', '10m', '0s']);
  const done = obj({ name: 'job4', creationTimestamp: ago(0) }, {
    spec: { completions: 2 },
    status: { succeeded: 2, startTime: ago(10 * MINUTE), completionTime: ago(7 * MINUTE), conditions: [{ type: 'Complete', status: 'True' }] },
  });
  assert.deepEqual(jobPrinter.cells(done, NOW).slice(0, 5), ['job4', 'Complete', '2/2', '3m', '0s']);
});

test('job status: Complete, then Failed, then Terminating, Suspended, FailureTarget, SuccessCriteriaMet, else Running', () => {
  const status = (conditions: { type: string; status: string }[], deleting = false) =>
    jobPrinter.cells(obj({ name: 'j', ...(deleting ? { deletionTimestamp: ago(0) } : {}) }, { spec: {}, status: { conditions } }), NOW)[1];
  assert.equal(status([{ type: 'Failed', status: 'True' }, { type: 'Complete', status: 'True' }]), 'Complete');
  assert.equal(status([{ type: 'FailureTarget', status: 'True' }, { type: 'Failed', status: 'True' }], true), 'Failed');
  assert.equal(status([{ type: 'Suspended', status: 'True' }], true), 'Terminating');
  assert.equal(status([{ type: 'Suspended', status: 'True' }]), 'Suspended');
  assert.equal(status([{ type: 'Suspended', status: 'False' }]), 'Running');
  assert.equal(status([{ type: 'FailureTarget', status: 'True' }]), 'FailureTarget');
  assert.equal(status([{ type: 'SuccessCriteriaMet', status: 'True' }]), 'SuccessCriteriaMet');
  assert.equal(status([]), 'Running');
});
