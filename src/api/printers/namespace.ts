import type { Printer } from '../types.js';
import { translateTimestampSince } from './age.js';
import { AGE_COLUMN, NAME_COLUMN, column } from './columns.js';
import { asObject, asString } from './format.js';

// printNamespace from kubernetes pkg/printers/internalversion/printers.go.

export const namespacePrinter: Printer = {
  columns: [NAME_COLUMN, column('Status', 'string', 'The status of the namespace'), AGE_COLUMN],
  cells(ns, now) {
    return [ns.metadata.name ?? '', asString(asObject(ns.status).phase), translateTimestampSince(ns.metadata.creationTimestamp, now)];
  },
};
