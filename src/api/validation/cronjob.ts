import type { FieldError, KObject } from '../types.js';
import { CronError, parseStandard } from '../cron.js';
import { TimeZone } from '../timezone.js';
import { child, invalid, notSupported, required } from './field.js';
import { validateJobSpecFields } from './job.js';
import { isObject, type JsonObject } from './json.js';
import { validateNonnegative } from './meta.js';
import { goLabelSelector } from './labels.js';

// ValidateCronJobCreate / ValidateCronJobUpdate from pkg/apis/batch/validation (1.32).

/** A Job's name is at most 63 characters and the controller appends `-<minutes since epoch>` (11). */
const MAX_CRONJOB_NAME_LENGTH = 63 - 11;

// https://data.iana.org/time-zones/theory.html#naming, with the digits and '+' of legacy names.
const VALID_TIME_ZONE_CHARACTERS = /^[A-Za-z.\-_0-9+]{1,14}$/;

export function validateCronJob(cj: KObject, old?: KObject): FieldError[] {
  const spec = isObject(cj.spec) ? cj.spec : {};
  const oldSpec = old && isObject(old.spec) ? old.spec : undefined;
  const errs = validateCronJobSpec(spec, oldSpec, 'spec');
  // An update may keep a name from before the limit, so that the CronJob can still be changed.
  const name = cj.metadata.name ?? '';
  if (!old && name.length > MAX_CRONJOB_NAME_LENGTH) {
    errs.push(invalid(child('metadata', 'name'), name, `must be no more than ${MAX_CRONJOB_NAME_LENGTH} characters`));
  }
  return errs;
}

function validateCronJobSpec(spec: JsonObject, oldSpec: JsonObject | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const schedule = typeof spec.schedule === 'string' ? spec.schedule : '';
  if (schedule === '') errs.push(required(child(path, 'schedule'), ''));
  else {
    // A CronJob stored with TZ in its schedule before timeZone existed may keep it.
    const allowTZ = typeof oldSpec?.schedule === 'string' && oldSpec.schedule.includes('TZ');
    errs.push(...validateScheduleFormat(schedule, allowTZ, spec.timeZone, child(path, 'schedule')));
  }
  errs.push(...validateNonnegative(spec.startingDeadlineSeconds, child(path, 'startingDeadlineSeconds')));
  if (!oldSpec || oldSpec.timeZone !== spec.timeZone) errs.push(...validateTimeZone(spec.timeZone, child(path, 'timeZone')));
  errs.push(...validateConcurrencyPolicy(spec.concurrencyPolicy, child(path, 'concurrencyPolicy')));
  errs.push(...validateJobTemplateSpec(isObject(spec.jobTemplate) ? spec.jobTemplate : {}, child(path, 'jobTemplate')));
  errs.push(...validateNonnegative(spec.successfulJobsHistoryLimit, child(path, 'successfulJobsHistoryLimit')));
  errs.push(...validateNonnegative(spec.failedJobsHistoryLimit, child(path, 'failedJobsHistoryLimit')));
  return errs;
}

function validateScheduleFormat(schedule: string, allowTZ: boolean, timeZone: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  try {
    parseStandard(schedule);
  } catch (e) {
    if (!(e instanceof CronError)) throw e;
    errs.push(invalid(path, schedule, e.message));
  }
  if (allowTZ && schedule.includes('TZ') && timeZone != null) {
    errs.push(invalid(path, schedule, 'cannot use both timeZone field and TZ or CRON_TZ in schedule'));
  } else if (!allowTZ && schedule.includes('TZ')) {
    errs.push(invalid(path, schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
  }
  return errs;
}

function validateTimeZone(timeZone: unknown, path: string): FieldError[] {
  if (timeZone == null) return [];
  const tz = String(timeZone);
  if (tz === '') return [invalid(path, tz, 'timeZone must be nil or non-empty string')];
  for (const part of tz.split('/')) {
    if (part === '.' || part === '..' || part.startsWith('-') || !VALID_TIME_ZONE_CHARACTERS.test(part)) {
      return [invalid(path, tz, `unknown time zone ${tz}`)];
    }
  }
  const errs: FieldError[] = [];
  if (tz.toLowerCase() === 'local') {
    errs.push(invalid(path, tz, 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones'));
  }
  // Go loads "Local" as the process's zone; every other name must be in the database.
  if (tz !== 'Local' && !TimeZone.load(tz)) errs.push(invalid(path, tz, `unknown time zone ${tz}`));
  return errs;
}

function validateConcurrencyPolicy(policy: unknown, path: string): FieldError[] {
  if (policy === 'Allow' || policy === 'Forbid' || policy === 'Replace') return [];
  if (policy == null || policy === '') return [required(path, '')];
  return [notSupported(path, policy, ['Allow', 'Forbid', 'Replace'])];
}

/** ValidateJobTemplateSpec: the Job spec's rules, with the selector left to the Job's creation. */
function validateJobTemplateSpec(template: JsonObject, path: string): FieldError[] {
  const spec = isObject(template.spec) ? template.spec : {};
  const specPath = child(path, 'spec');
  const errs = validateJobSpecFields(spec, specPath);
  if (spec.selector != null) errs.push(invalid(child(specPath, 'selector'), goLabelSelector(spec.selector), '`selector` will be auto-generated'));
  if (spec.manualSelector === true) errs.push(notSupported(child(specPath, 'manualSelector'), true, ['nil', 'false']));
  return errs;
}
