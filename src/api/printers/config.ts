import type { Printer } from '../types.js';
import { translateTimestampSince } from './age.js';
import { AGE_COLUMN, NAME_COLUMN, column } from './columns.js';
import { DOC } from './descriptions.js';
import { asArray, asObject, asString } from './format.js';

// printConfigMap, printSecret and printServiceAccount from kubernetes
// pkg/printers/internalversion/printers.go. Counts are integer cells under "string" columns,
// exactly as upstream declares them.

function size(v: unknown): number {
  return Object.keys(asObject(v)).length;
}

export const configMapPrinter: Printer = {
  columns: [NAME_COLUMN, column('Data', 'string', DOC.cmData), AGE_COLUMN],
  cells(cm, now) {
    return [cm.metadata.name ?? '', size(cm.data) + size(cm.binaryData), translateTimestampSince(cm.metadata.creationTimestamp, now)];
  },
};

export const secretPrinter: Printer = {
  columns: [NAME_COLUMN, column('Type', 'string', DOC.secretType), column('Data', 'string', DOC.secretData), AGE_COLUMN],
  cells(secret, now) {
    return [secret.metadata.name ?? '', asString(secret.type), size(secret.data), translateTimestampSince(secret.metadata.creationTimestamp, now)];
  },
};

export const serviceAccountPrinter: Printer = {
  columns: [NAME_COLUMN, column('Secrets', 'string', DOC.saSecrets), AGE_COLUMN],
  cells(sa, now) {
    return [sa.metadata.name ?? '', asArray(sa.secrets).length, translateTimestampSince(sa.metadata.creationTimestamp, now)];
  },
};
