import type { Printer } from '../types.js';
import { translateTimestampSince } from './age.js';
import { AGE_COLUMN, NAME_COLUMN, column } from './columns.js';
import { DOC } from './descriptions.js';
import { asObject, asString } from './format.js';

// printLease from kubernetes pkg/printers/internalversion/printers.go.

export const leasePrinter: Printer = {
  columns: [NAME_COLUMN, column('Holder', 'string', DOC.leaseHolder), AGE_COLUMN],
  cells(lease, now) {
    return [lease.metadata.name ?? '', asString(asObject(lease.spec).holderIdentity), translateTimestampSince(lease.metadata.creationTimestamp, now)];
  },
};
