import type { IEvent } from 'kubernetes-models/v1/Event';
import type { Printer } from '../types.js';
import { timestampMs, translateTimestampSince } from './age.js';
import { column, wide } from './columns.js';
import { DOC } from './descriptions.js';
import { asInt, asObject, asString } from './format.js';

// printEvent from kubernetes pkg/printers/internalversion/printers.go (core/v1 Events, which
// carry both the old fields and the events.k8s.io ones: eventTime, series, reportingComponent).

type CoreEvent = Partial<IEvent>;

/** formatEventSource: "component, host", falling back to the reporting controller and instance. */
function eventSource(ev: CoreEvent): string {
  const component = asString(ev.source?.component) || asString(ev.reportingComponent);
  const instance = asString(ev.source?.host) || asString(ev.reportingInstance);
  return instance ? `${component}, ${instance}` : component;
}

export const eventPrinter: Printer = {
  columns: [
    column('Last Seen', 'string', DOC.evLastTimestamp),
    column('Type', 'string', DOC.evType),
    column('Reason', 'string', DOC.evReason),
    column('Object', 'string', DOC.evInvolvedObject),
    wide('Subobject', 'string', DOC.refFieldPath),
    wide('Source', 'string', DOC.evSource),
    column('Message', 'string', DOC.evMessage),
    wide('First Seen', 'string', DOC.evFirstTimestamp),
    wide('Count', 'string', DOC.evCount),
    { name: 'Name', type: 'string', format: 'name', description: DOC.metaName, priority: 1 },
  ],
  cells(obj, now) {
    const ev = asObject<IEvent>(obj);
    const firstSeen =
      timestampMs(ev.firstTimestamp) === undefined ? translateTimestampSince(ev.eventTime, now) : translateTimestampSince(ev.firstTimestamp, now);
    let lastSeen = timestampMs(ev.lastTimestamp) === undefined ? firstSeen : translateTimestampSince(ev.lastTimestamp, now);
    let count = asInt(ev.count);
    if (ev.series) {
      lastSeen = translateTimestampSince(ev.series.lastObservedTime, now);
      count = asInt(ev.series.count);
    } else if (count === 0) {
      // singleton events of the new API carry no count
      count = 1;
    }
    const involved = asObject(ev.involvedObject);
    const kind = asString(involved.kind).toLowerCase();
    const target = asString(involved.name) ? `${kind}/${asString(involved.name)}` : kind;
    return [
      lastSeen,
      asString(ev.type),
      asString(ev.reason),
      target,
      asString(involved.fieldPath),
      eventSource(ev),
      asString(ev.message).trim(),
      firstSeen,
      count,
      obj.metadata.name ?? '',
    ];
  },
};
