import type { Printer } from '../types.js';
import { humanDuration, timestampMs, translateTimestampSince } from './age.js';
import { AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN, NAME_COLUMN, column, wide } from './columns.js';
import { DOC } from './descriptions.js';
import { asArray, asInt, asObject, formatLabelSelector, layoutContainerCells } from './format.js';

// printJob from kubernetes pkg/printers/internalversion/printers.go (1.32).

function hasCondition(conditions: unknown, type: string): boolean {
  return asArray<{ type?: string; status?: string }>(conditions).some((c) => c?.type === type && c.status === 'True');
}

/** The first condition that holds, in upstream's order of precedence. */
function jobStatus(conditions: unknown, terminating: boolean): string {
  if (hasCondition(conditions, 'Complete')) return 'Complete';
  if (hasCondition(conditions, 'Failed')) return 'Failed';
  if (terminating) return 'Terminating';
  if (hasCondition(conditions, 'Suspended')) return 'Suspended';
  if (hasCondition(conditions, 'FailureTarget')) return 'FailureTarget';
  if (hasCondition(conditions, 'SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  return 'Running';
}

export const jobPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Status', 'string', 'Status of the job.'),
    column('Completions', 'string', DOC.jobSucceeded),
    column('Duration', 'string', 'Time required to complete the job.'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    wide('Selector', 'string', DOC.jobSelector),
  ],
  cells(job, now) {
    const spec = asObject(job.spec);
    const status = asObject(job.status);
    const succeeded = asInt(status.succeeded);
    let completions: string;
    if (typeof spec.completions === 'number') completions = `${succeeded}/${spec.completions}`;
    else {
      const parallelism = asInt(spec.parallelism);
      completions = parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
    }
    const start = timestampMs(status.startTime);
    const end = timestampMs(status.completionTime);
    const duration = start === undefined ? '' : humanDuration((end ?? now) - start);
    const [names, images] = layoutContainerCells(spec.template);
    return [
      job.metadata.name ?? '',
      jobStatus(status.conditions, !!job.metadata.deletionTimestamp),
      completions,
      duration,
      translateTimestampSince(job.metadata.creationTimestamp, now),
      names,
      images,
      formatLabelSelector(spec.selector),
    ];
  },
};
