import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CronError, parseStandard } from '../../../src/api/cron.js';

// robfig/cron v3's ParseStandard and SpecSchedule.Next, cases after its parser_test.go and spec_test.go.

const next = (spec: string, from: string) => new Date(parseStandard(spec, 'UTC').next(Date.parse(from))).toISOString();
const error = (spec: string) => {
  try {
    parseStandard(spec, 'UTC');
  } catch (e) {
    assert.ok(e instanceof CronError);
    return e.message;
  }
  return 'no error';
};

test('five fields, names, ranges, steps and lists', () => {
  assert.equal(next('*/1 * * * *', '2026-12-05T12:00:30Z'), '2026-12-05T12:01:00.000Z');
  assert.equal(next('*/15 * * * *', '2026-12-05T12:00:00Z'), '2026-12-05T12:15:00.000Z');
  assert.equal(next('5/15 * * * *', '2026-12-05T12:51:00Z'), '2026-12-05T13:05:00.000Z');
  assert.equal(next('30 6-16/4 * * 1-5', '2026-12-05T12:00:00Z'), '2026-12-07T06:30:00.000Z'); // Saturday → Monday
  assert.equal(next('0 0 1 jan *', '2026-12-05T12:00:00Z'), '2027-01-01T00:00:00.000Z');
  assert.equal(next('0 12 * * MON,fri', '2026-12-05T12:00:00Z'), '2026-12-07T12:00:00.000Z');
  assert.equal(next('0 0 29 2 *', '2026-12-05T00:00:00Z'), '2028-02-29T00:00:00.000Z');
  assert.equal(next('0 0 * * ?', '2026-12-05T00:00:00Z'), '2026-12-06T00:00:00.000Z');
});

test('day of month OR day of week, unless either is a star', () => {
  // The 13th or any Friday: 2026-12-11 is a Friday, before the 13th.
  assert.equal(next('0 0 13 * 5', '2026-12-05T00:00:00Z'), '2026-12-11T00:00:00.000Z');
  // A star in day-of-week: only the 13th.
  assert.equal(next('0 0 13 * *', '2026-12-05T00:00:00Z'), '2026-12-13T00:00:00.000Z');
  // */2 drops the star: days 1,3,5,… or Mondays.
  assert.equal(next('0 0 */2 * 1', '2026-12-05T00:00:00Z'), '2026-12-07T00:00:00.000Z');
});

test('descriptors and @every', () => {
  assert.equal(next('@hourly', '2026-12-05T12:00:00Z'), '2026-12-05T13:00:00.000Z');
  assert.equal(next('@daily', '2026-12-05T12:00:00Z'), '2026-12-06T00:00:00.000Z');
  assert.equal(next('@midnight', '2026-12-05T12:00:00Z'), '2026-12-06T00:00:00.000Z');
  assert.equal(next('@weekly', '2026-12-05T12:00:00Z'), '2026-12-06T00:00:00.000Z'); // Sunday
  assert.equal(next('@monthly', '2026-12-05T12:00:00Z'), '2027-01-01T00:00:00.000Z');
  assert.equal(next('@yearly', '2026-12-05T12:00:00Z'), '2027-01-01T00:00:00.000Z');
  assert.equal(next('@annually', '2026-12-05T12:00:00Z'), '2027-01-01T00:00:00.000Z');
  assert.equal(next('@every 1h30m', '2026-12-05T12:00:00.250Z'), '2026-12-05T13:30:00.000Z');
  assert.equal(next('@every 100ms', '2026-12-05T12:00:00Z'), '2026-12-05T12:00:01.000Z');
});

test('a schedule in a time zone, from TZ= or the local zone, across a DST change', () => {
  assert.equal(new Date(parseStandard('0 9 * * *', 'America/New_York').next(Date.parse('2026-12-05T12:00:00Z'))).toISOString(), '2026-12-05T14:00:00.000Z');
  assert.equal(new Date(parseStandard('TZ=Asia/Tokyo 0 9 * * *').next(Date.parse('2026-12-05T12:00:00Z'))).toISOString(), '2026-12-06T00:00:00.000Z');
  // Europe/Berlin leaves summer time on 2026-10-25: 09:00 is 07:00Z before and 08:00Z after.
  const berlin = parseStandard('CRON_TZ=Europe/Berlin 0 9 * * *');
  assert.equal(new Date(berlin.next(Date.parse('2026-10-24T08:00:00Z'))).toISOString(), '2026-10-25T08:00:00.000Z');
});

test('DST as robfig walks it: a time in the skipped hour is skipped that day, one in the repeated hour runs twice', () => {
  const spring = parseStandard('30 2 * * *', 'America/New_York');
  assert.equal(new Date(spring.next(Date.parse('2027-03-13T12:00:00Z'))).toISOString(), '2027-03-15T06:30:00.000Z');
  const fall = parseStandard('30 1 * * *', 'America/New_York');
  const first = fall.next(Date.parse('2027-11-06T12:00:00Z'));
  assert.deepEqual([first, fall.next(first)].map((t) => new Date(t).toISOString()), ['2027-11-07T05:30:00.000Z', '2027-11-07T06:30:00.000Z']);
});

test('a day that never comes gives no time (zero)', () => {
  assert.equal(parseStandard('0 0 30 2 *', 'UTC').next(Date.parse('2026-12-05T00:00:00Z')), 0);
});

test('errors in robfig/cron words', () => {
  assert.equal(error(''), 'empty spec string');
  assert.equal(error('* * * *'), 'expected exactly 5 fields, found 4: [* * * *]');
  assert.equal(error('0 0 * * * *'), 'expected exactly 5 fields, found 6: [0 0 * * * *]');
  assert.equal(error('60 * * * *'), 'end of range (60) above maximum (59): 60');
  assert.equal(error('* * 0 * *'), 'beginning of range (0) below minimum (1): 0');
  assert.equal(error('* * * * 7'), 'end of range (7) above maximum (6): 7');
  assert.equal(error('5-1 * * * *'), 'beginning of range (5) beyond end of range (1): 5-1');
  assert.equal(error('*/0 * * * *'), 'step of range should be a positive number: */0');
  assert.equal(error('1-2-3 * * * *'), 'too many hyphens: 1-2-3');
  assert.equal(error('*/1/2 * * * *'), 'too many slashes: */1/2');
  assert.equal(error('a * * * *'), 'failed to parse int from a: strconv.Atoi: parsing "a": invalid syntax');
  assert.equal(error('* * * foo *'), 'failed to parse int from foo: strconv.Atoi: parsing "foo": invalid syntax');
  assert.equal(error('@fortnightly'), 'unrecognized descriptor: @fortnightly');
  assert.equal(error('@every x'), 'failed to parse duration @every x: time: invalid duration "x"');
  assert.equal(error('TZ=Nowhere/City * * * * *'), 'provided bad location Nowhere/City: unknown time zone Nowhere/City');
});
