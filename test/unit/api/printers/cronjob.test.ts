import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cronJobPrinter } from '../../../../src/api/printers/cronjob.js';
import { MINUTE, NOW, SECOND, ago, obj } from './helpers.js';

// Expected cells from upstream TestPrintCronJob (1.32).

const jobTemplate = {
  spec: {
    completions: 2,
    template: { spec: { containers: [{ name: 'fake-job-container1', image: 'fake-job-image1' }, { name: 'fake-job-container2', image: 'fake-job-image2' }] } },
    selector: { matchLabels: { a: 'b' } },
  },
};

test('cronjobs: name, schedule, timezone, suspend, active, last schedule, age; wide containers, images, selector', () => {
  assert.deepEqual(cronJobPrinter.columns.map((c) => `${c.name}${c.priority ? '*' : ''}`), ['Name', 'Schedule', 'Timezone', 'Suspend', 'Active', 'Last Schedule', 'Age', 'Containers*', 'Images*', 'Selector*']);
  const fresh = obj({ name: 'cronjob1', creationTimestamp: ago(-1.9 * SECOND) }, {
    spec: { schedule: '0/5 * * * ?', suspend: false, jobTemplate },
    status: { lastScheduleTime: ago(-1.9 * SECOND) },
  });
  assert.deepEqual(cronJobPrinter.cells(fresh, NOW), ['cronjob1', '0/5 * * * ?', '<none>', 'False', 0, '0s', '0s', 'fake-job-container1,fake-job-container2', 'fake-job-image1,fake-job-image2', 'a=b']);
  const older = obj({ name: 'cronjob2', creationTimestamp: ago(5 * MINUTE) }, { spec: { schedule: '0/5 * * * ?', suspend: false, jobTemplate }, status: { lastScheduleTime: ago(30 * SECOND) } });
  assert.deepEqual(cronJobPrinter.cells(older, NOW).slice(0, 7), ['cronjob2', '0/5 * * * ?', '<none>', 'False', 0, '30s', '5m']);
  const never = obj({ name: 'cronjob3', creationTimestamp: ago(5 * MINUTE) }, { spec: { schedule: '0/5 * * * ?', suspend: false, jobTemplate }, status: {} });
  assert.deepEqual(cronJobPrinter.cells(never, NOW).slice(0, 7), ['cronjob3', '0/5 * * * ?', '<none>', 'False', 0, '<none>', '5m']);
  const zoned = obj({ name: 'cronjob4', creationTimestamp: ago(5 * MINUTE) }, {
    spec: { schedule: '0/5 * * * ?', timeZone: 'LOCAL', suspend: true, jobTemplate },
    status: { active: [{ name: 'a' }, { name: 'b' }] },
  });
  assert.deepEqual(cronJobPrinter.cells(zoned, NOW).slice(0, 7), ['cronjob4', '0/5 * * * ?', 'LOCAL', 'True', 2, '<none>', '5m']);
});

test('cronjobs: an unset suspend prints <unset>, a template without selector <none>', () => {
  const cells = cronJobPrinter.cells(obj({ name: 'c', creationTimestamp: ago(0) }, { spec: { schedule: '@hourly', jobTemplate: { spec: { template: {} } } } }), NOW);
  assert.equal(cells[3], '<unset>');
  assert.equal(cells[9], '<none>');
});
