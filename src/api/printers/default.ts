import type { Printer } from '../types.js';
import { timestampMs } from './age.js';
import { NAME_COLUMN } from './columns.js';
import { DOC } from './descriptions.js';

// The apiserver's default table convertor (rest.NewDefaultTableConvertor) for built-in kinds
// without a printer: the name and the creation time as RFC 3339, which kubectl prints verbatim.

/** Go's time.Format(time.RFC3339) of a UTC time: whole seconds, `Z` suffix; zero time when absent. */
function rfc3339(ts: unknown): string {
  const ms = timestampMs(ts);
  if (ms === undefined) return '0001-01-01T00:00:00Z';
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export const defaultPrinter: Printer = {
  columns: [NAME_COLUMN, { name: 'Created At', type: 'date', format: '', description: DOC.metaCreationTimestamp, priority: 0 }],
  cells(obj) {
    return [obj.metadata.name ?? '', rfc3339(obj.metadata.creationTimestamp)];
  },
};
