import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rfc1123z, TimeZone } from '../../../src/api/timezone.js';

// Zones as Go's time.LoadLocation finds them, and times as Go's layouts print them.

test('load: IANA names and aliases as spelled in the database; another spelling, or no such zone, is not found', () => {
  assert.equal(TimeZone.load(''), TimeZone.UTC);
  assert.equal(TimeZone.load('UTC'), TimeZone.UTC);
  for (const name of ['Europe/Berlin', 'America/Argentina/Buenos_Aires', 'Etc/GMT+5', 'US/Eastern']) assert.ok(TimeZone.load(name), name);
  for (const name of ['europe/berlin', 'Mars/Olympus_Mons', 'Local']) assert.equal(TimeZone.load(name), undefined, name);
});

test('wall clock and back: fields of an instant, and time.Date normalizing day 32 into the next month', () => {
  const berlin = TimeZone.load('Europe/Berlin')!;
  assert.deepEqual(berlin.fields(Date.parse('2026-07-01T22:30:00Z')), { year: 2026, month: 7, day: 2, hour: 0, minute: 30, second: 0, weekday: 4 });
  assert.equal(new Date(berlin.date(2026, 1, 32, 9, 0, 0)).toISOString(), '2026-02-01T08:00:00.000Z');
  assert.equal(berlin.offset(Date.parse('2026-07-01T00:00:00Z')), 2 * 3_600_000);
  assert.equal(berlin.offset(Date.parse('2026-12-01T00:00:00Z')), 3_600_000);
});

test('RFC 3339 in a zone and RFC 1123Z in UTC, as Go formats them', () => {
  const t = Date.parse('2026-12-05T12:30:00.750Z');
  assert.equal(TimeZone.UTC.rfc3339(t), '2026-12-05T12:30:00Z');
  assert.equal(TimeZone.load('Asia/Kolkata')!.rfc3339(t), '2026-12-05T18:00:00+05:30');
  assert.equal(TimeZone.load('America/St_Johns')!.rfc3339(t), '2026-12-05T09:00:00-03:30');
  assert.equal(TimeZone.load('Europe/London')!.rfc3339(t), '2026-12-05T12:30:00Z');
  assert.equal(rfc1123z(t), 'Sat, 05 Dec 2026 12:30:00 +0000');
});
