import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kindKey } from '../../../../src/api/kinds.js';
import type { KObject } from '../../../../src/api/types.js';
import { defaulters } from '../../../../src/api/defaults/index.js';
import { formatFieldError } from '../../../../src/api/validation/field.js';
import { validators } from '../../../../src/api/validation/index.js';

// batch/v1 SetDefaults_CronJob and ValidateCronJobCreate/Update in pkg/apis/batch/validation's words.

const key = kindKey('batch', 'CronJob');

const cronJob = (spec: Record<string, unknown> = {}, name = 'hello'): KObject => ({
  apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name, namespace: 'default', uid: 'u-1' },
  spec: {
    schedule: '*/1 * * * *',
    jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox' }] } } } },
    ...spec,
  },
});

function create(obj: KObject): string[] {
  defaulters[key](obj);
  return validators[key](obj).map(formatFieldError);
}

function update(obj: KObject, old: KObject): string[] {
  defaulters[key](old);
  defaulters[key](obj);
  return validators[key](obj, old).map(formatFieldError);
}

test('CronJob defaults: Allow, not suspended, 3 successful and 1 failed Jobs kept; the pod template as a Job gets it, but no Job-only defaults', () => {
  const cj = cronJob();
  assert.deepEqual(create(cj), []);
  const spec = cj.spec as Record<string, any>;
  assert.deepEqual(
    { concurrencyPolicy: spec.concurrencyPolicy, suspend: spec.suspend, successfulJobsHistoryLimit: spec.successfulJobsHistoryLimit, failedJobsHistoryLimit: spec.failedJobsHistoryLimit },
    { concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 },
  );
  const podSpec = spec.jobTemplate.spec.template.spec;
  assert.equal(podSpec.dnsPolicy, 'ClusterFirst');
  assert.equal(podSpec.containers[0].terminationMessagePath, '/dev/termination-log');
  assert.equal(spec.jobTemplate.spec.backoffLimit, undefined);
  assert.equal(spec.jobTemplate.spec.completions, undefined);
});

test('schedule: required, parsed by the standard parser, TZ refused in favour of timeZone', () => {
  assert.deepEqual(create(cronJob({ schedule: '' })), ['spec.schedule: Required value']);
  assert.deepEqual(create(cronJob({ schedule: 'every minute' })), ['spec.schedule: Invalid value: "every minute": expected exactly 5 fields, found 2: [every minute]']);
  assert.deepEqual(create(cronJob({ schedule: '61 * * * *' })), ['spec.schedule: Invalid value: "61 * * * *": end of range (61) above maximum (59): 61']);
  assert.deepEqual(create(cronJob({ schedule: '@hourly' })), []);
  assert.deepEqual(create(cronJob({ schedule: 'TZ=UTC 0 * * * *' })), ['spec.schedule: Invalid value: "TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead']);
  assert.deepEqual(create(cronJob({ schedule: 'CRON_TZ=UTC 0 * * * *' })), ['spec.schedule: Invalid value: "CRON_TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead']);
  // A CronJob stored with TZ before timeZone existed keeps it, but not alongside timeZone.
  const old = cronJob({ schedule: 'TZ=UTC 0 * * * *' });
  assert.deepEqual(update(cronJob({ schedule: 'TZ=UTC 5 * * * *' }), old), []);
  assert.deepEqual(update(cronJob({ schedule: 'TZ=UTC 5 * * * *', timeZone: 'Europe/Paris' }), cronJob({ schedule: 'TZ=UTC 0 * * * *' })), [
    'spec.schedule: Invalid value: "TZ=UTC 5 * * * *": cannot use both timeZone field and TZ or CRON_TZ in schedule',
  ]);
});

test('timeZone: a name of the IANA database, not Local, not empty', () => {
  assert.deepEqual(create(cronJob({ timeZone: 'Europe/Paris' })), []);
  assert.deepEqual(create(cronJob({ timeZone: 'Etc/GMT+5' })), []);
  assert.deepEqual(create(cronJob({ timeZone: '' })), ['spec.timeZone: Invalid value: "": timeZone must be nil or non-empty string']);
  assert.deepEqual(create(cronJob({ timeZone: 'Mars/Olympus_Mons' })), ['spec.timeZone: Invalid value: "Mars/Olympus_Mons": unknown time zone Mars/Olympus_Mons']);
  assert.deepEqual(create(cronJob({ timeZone: 'europe/paris' })), ['spec.timeZone: Invalid value: "europe/paris": unknown time zone europe/paris']);
  assert.deepEqual(create(cronJob({ timeZone: '../etc/passwd' })), ['spec.timeZone: Invalid value: "../etc/passwd": unknown time zone ../etc/passwd']);
  assert.deepEqual(create(cronJob({ timeZone: 'Local' })), ['spec.timeZone: Invalid value: "Local": timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones']);
  // An unchanged timeZone is not checked again on update.
  const old = cronJob({ timeZone: 'Local' });
  assert.deepEqual(update(cronJob({ timeZone: 'Local', suspend: true }), old), []);
});

test('deadline, history limits and concurrency policy', () => {
  assert.deepEqual(create(cronJob({ startingDeadlineSeconds: -1, successfulJobsHistoryLimit: -1, failedJobsHistoryLimit: -2 })), [
    'spec.startingDeadlineSeconds: Invalid value: -1: must be greater than or equal to 0',
    'spec.successfulJobsHistoryLimit: Invalid value: -1: must be greater than or equal to 0',
    'spec.failedJobsHistoryLimit: Invalid value: -2: must be greater than or equal to 0',
  ]);
  assert.deepEqual(create(cronJob({ startingDeadlineSeconds: 0, successfulJobsHistoryLimit: 0, failedJobsHistoryLimit: 0 })), []);
  assert.deepEqual(create(cronJob({ concurrencyPolicy: 'Sometimes' })), ['spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"']);
});

test('jobTemplate: validated as a Job spec, with the selector left to the Job', () => {
  assert.deepEqual(create(cronJob({ jobTemplate: { spec: { template: { spec: { restartPolicy: 'Always', containers: [{ name: 'c', image: 'busybox' }] } } } } })), [
    'spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
  ]);
  assert.deepEqual(create(cronJob({ jobTemplate: { spec: { parallelism: -1, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } } })), [
    'spec.jobTemplate.spec.parallelism: Invalid value: -1: must be greater than or equal to 0',
  ]);
  assert.deepEqual(create(cronJob({ jobTemplate: { spec: { manualSelector: true, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } } })), [
    'spec.jobTemplate.spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"a":"b"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` will be auto-generated',
    'spec.jobTemplate.spec.manualSelector: Unsupported value: true: supported values: "nil", "false"',
  ]);
});

test('name: at most 52 characters on create, so that the Jobs named after it fit in 63; kept on update', () => {
  const long = 'a'.repeat(53);
  assert.deepEqual(create(cronJob({}, long)), [`metadata.name: Invalid value: "${long}": must be no more than 52 characters`]);
  assert.deepEqual(create(cronJob({}, 'a'.repeat(52))), []);
  assert.deepEqual(update(cronJob({ suspend: true }, long), cronJob({}, long)), []);
});
