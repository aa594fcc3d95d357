import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStandard } from '../../../../src/api/cron.js';
import type { CronJob } from '../../../../src/client/resources.js';
import { formatSchedule, mostRecentScheduleTime, nextScheduleTimeDuration } from '../../../../src/controllers/cronjob/schedule.js';

// utils.go's arithmetic: the most recent due time and the count of missed ones (TestMostRecentScheduleTime).

const T = (s: string) => Date.parse(s);
const cj = (created: string, last?: string, deadline?: number): CronJob => ({
  metadata: { name: 'c', creationTimestamp: created },
  spec: { schedule: '', jobTemplate: {}, ...(deadline !== undefined ? { startingDeadlineSeconds: deadline } : {}) },
  status: last ? { lastScheduleTime: last } : {},
}) as CronJob;
const hourly = parseStandard('0 * * * *', 'UTC');

test('no time due yet, one due, several missed, too many missed', () => {
  assert.deepEqual(mostRecentScheduleTime(cj('2026-01-01T10:10:00Z'), T('2026-01-01T10:59:00Z'), hourly, true), { earliest: T('2026-01-01T10:10:00Z'), missed: 'none' });
  assert.deepEqual(mostRecentScheduleTime(cj('2026-01-01T10:10:00Z'), T('2026-01-01T11:00:30Z'), hourly, true).mostRecent, T('2026-01-01T11:00:00Z'));
  const few = mostRecentScheduleTime(cj('2026-01-01T10:10:00Z', '2026-01-01T11:00:00Z'), T('2026-01-01T14:05:00Z'), hourly, true);
  assert.deepEqual([few.mostRecent, few.missed], [T('2026-01-01T14:00:00Z'), 'few']);
  const many = mostRecentScheduleTime(cj('2026-01-01T10:10:00Z'), T('2026-01-10T10:05:00Z'), hourly, true);
  assert.deepEqual([many.mostRecent, many.missed], [T('2026-01-10T10:00:00Z'), 'many']);
});

test('an irregular schedule: the estimate steps back far enough to find the latest time', () => {
  const sched = parseStandard('30 6-16/4 * * 1-5', 'UTC');
  // Created Friday morning; it is now Monday 07:00: last due Monday 06:30.
  const r = mostRecentScheduleTime(cj('2026-01-02T05:00:00Z'), T('2026-01-05T07:00:00Z'), sched, true);
  assert.equal(r.mostRecent, T('2026-01-05T06:30:00Z'));
});

test('the starting deadline moves the earliest time considered', () => {
  const r = mostRecentScheduleTime(cj('2026-01-01T10:10:00Z'), T('2026-01-01T14:05:00Z'), hourly, true);
  assert.equal(r.missed, 'few');
  const bounded = mostRecentScheduleTime(cj('2026-01-01T10:10:00Z', undefined, 600), T('2026-01-01T14:05:00Z'), hourly, true);
  assert.deepEqual([bounded.mostRecent, bounded.missed], [T('2026-01-01T14:00:00Z'), 'none']);
});

test('the next wake-up: 100 ms after the next scheduled time', () => {
  assert.equal(nextScheduleTimeDuration(cj('2026-01-01T10:10:00Z'), T('2026-01-01T10:59:00Z'), hourly), 60_100);
  assert.equal(nextScheduleTimeDuration(cj('2026-01-01T10:10:00Z', '2026-01-01T11:00:00Z'), T('2026-01-01T11:00:00.200Z'), hourly), 3_599_900);
});

test('formatSchedule: spec.timeZone becomes a TZ= prefix', () => {
  const c = cj('2026-01-01T00:00:00Z');
  c.spec!.schedule = '0 9 * * *';
  assert.equal(formatSchedule(c), '0 9 * * *');
  c.spec!.timeZone = 'Asia/Tokyo';
  assert.equal(formatSchedule(c), 'TZ=Asia/Tokyo 0 9 * * *');
  c.spec!.timeZone = 'Nowhere/City';
  assert.equal(formatSchedule(c), '0 9 * * *');
});
