import type { Printer } from '../types.js';
import { translateTimestampSince } from './age.js';
import { AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN, NAME_COLUMN, column, wide } from './columns.js';
import { DOC } from './descriptions.js';
import { asArray, asObject, formatLabelSelector, layoutContainerCells } from './format.js';

// printCronJob from kubernetes pkg/printers/internalversion/printers.go (1.32).

/** printBoolPtr */
function boolPtr(v: unknown): string {
  if (typeof v !== 'boolean') return '<unset>';
  return v ? 'True' : 'False';
}

export const cronJobPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Schedule', 'string', DOC.cronJobSchedule),
    column('Timezone', 'string', DOC.cronJobTimeZone),
    column('Suspend', 'boolean', DOC.cronJobSuspend),
    column('Active', 'integer', DOC.cronJobActive),
    column('Last Schedule', 'string', DOC.cronJobLastScheduleTime),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    wide('Selector', 'string', DOC.jobSelector),
  ],
  cells(cj, now) {
    const spec = asObject(cj.spec);
    const status = asObject(cj.status);
    const jobSpec = asObject(asObject(spec.jobTemplate).spec);
    const [names, images] = layoutContainerCells(jobSpec.template);
    return [
      cj.metadata.name ?? '',
      typeof spec.schedule === 'string' ? spec.schedule : '',
      typeof spec.timeZone === 'string' ? spec.timeZone : '<none>',
      boolPtr(spec.suspend),
      asArray(status.active).length,
      status.lastScheduleTime ? translateTimestampSince(status.lastScheduleTime, now) : '<none>',
      translateTimestampSince(cj.metadata.creationTimestamp, now),
      names,
      images,
      formatLabelSelector(jobSpec.selector),
    ];
  },
};
