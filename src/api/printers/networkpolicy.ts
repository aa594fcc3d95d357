import type { Printer } from '../types.js';
import { translateTimestampSince } from './age.js';
import { AGE_COLUMN, NAME_COLUMN, column } from './columns.js';
import { DOC } from './descriptions.js';
import { asObject, formatLabelSelector } from './format.js';

// printNetworkPolicy from kubernetes pkg/printers/internalversion/printers.go.

export const networkPolicyPrinter: Printer = {
  columns: [NAME_COLUMN, column('Pod-Selector', 'string', DOC.npPodSelector), AGE_COLUMN],
  cells(np, now) {
    return [np.metadata.name ?? '', formatLabelSelector(asObject(np.spec).podSelector), translateTimestampSince(np.metadata.creationTimestamp, now)];
  },
};
