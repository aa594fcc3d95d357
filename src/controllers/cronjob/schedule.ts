import { parseStandard, type Schedule } from '../../api/cron.js';
import { TimeZone } from '../../api/timezone.js';
import type { CronJob } from '../../client/resources.js';

// The schedule arithmetic of pkg/controller/cronjob/utils.go: which scheduled time is due,
// how many were missed, and when to look again.

/** Upstream wakes a little after the scheduled time, so that the time has surely come. */
export const NEXT_SCHEDULE_DELTA_MS = 100;
/** More missed start times than this suggests a clock gone wrong rather than a controller that was down. */
const MANY_MISSED = 100;

export type Missed = 'none' | 'few' | 'many';

export interface RecentSchedule {
  /** The last schedule time, else the creation time (or the starting deadline, when later). */
  earliest: number;
  /** The latest scheduled time at or before now, if any came since `earliest`. */
  mostRecent?: number;
  missed: Missed;
  /** The schedule's times are less than a second apart (such as Feb 31st, never). */
  error?: string;
}

const ms = (t: string | undefined): number | undefined => {
  const v = t ? Date.parse(t) : NaN;
  return Number.isNaN(v) ? undefined : v;
};

/** formatSchedule: the spec's time zone as robfig's TZ= prefix, unless the schedule names one itself. */
export function formatSchedule(cj: CronJob): string {
  const schedule = cj.spec?.schedule ?? '';
  const tz = cj.spec?.timeZone;
  if (schedule.includes('TZ') || tz == null || !TimeZone.load(tz)) return schedule;
  return `TZ=${tz} ${schedule}`;
}

export function parseCronJobSchedule(cj: CronJob): Schedule {
  return parseStandard(formatSchedule(cj));
}

/** mostRecentScheduleTime */
export function mostRecentScheduleTime(cj: CronJob, now: number, schedule: Schedule, includeStartingDeadline: boolean): RecentSchedule {
  let earliest = ms(cj.status?.lastScheduleTime) ?? ms(cj.metadata.creationTimestamp) ?? now;
  const deadline = cj.spec?.startingDeadlineSeconds;
  if (includeStartingDeadline && deadline != null) {
    // The controller schedules nothing earlier than this.
    earliest = Math.max(earliest, now - deadline * 1000);
  }
  const t1 = schedule.next(earliest);
  const t2 = schedule.next(t1);
  if (now < t1) return { earliest, missed: 'none' };
  if (now < t2) return { earliest, mostRecent: t1, missed: 'none' };
  const between = Math.round((t2 - t1) / 1000);
  if (between < 1) return { earliest, missed: 'none', error: 'time difference between two schedules is less than 1 second' };
  // A rough count of the times that fit between the first missed one and now, as upstream
  // counts; the exact most recent time is then walked from just before the estimate.
  const elapsed = Math.trunc((now - t1) / 1000);
  const missedCount = Math.trunc(elapsed / between) + 1;
  const potentialEarliest = t1 + (missedCount - 2) * between * 1000;
  let mostRecent: number | undefined;
  for (let t = schedule.next(potentialEarliest); t !== 0 && t <= now; t = schedule.next(t)) mostRecent = t;
  const missed: Missed = missedCount > MANY_MISSED ? 'many' : missedCount > 0 ? 'few' : 'none';
  return { earliest, mostRecent, missed };
}

/** nextScheduleTimeDuration: milliseconds until the controller should look at the CronJob again. */
export function nextScheduleTimeDuration(cj: CronJob, now: number, schedule: Schedule): number {
  const r = mostRecentScheduleTime(cj, now, schedule, false);
  let from: number;
  if (r.error) from = now;
  else if (r.mostRecent === undefined) from = r.missed === 'none' ? r.earliest : now;
  else from = r.mostRecent;
  return schedule.next(from) + NEXT_SCHEDULE_DELTA_MS - now;
}

/** nextScheduleTime: the unmet scheduled time to start a Job for now, if any. */
export function nextScheduleTime(cj: CronJob, now: number, schedule: Schedule): { time?: number; manyMissed: boolean; error?: string } {
  const r = mostRecentScheduleTime(cj, now, schedule, true);
  if (r.mostRecent === undefined || r.mostRecent > now) return { manyMissed: false, error: r.error };
  return { time: r.mostRecent, manyMissed: r.missed === 'many', error: r.error };
}
