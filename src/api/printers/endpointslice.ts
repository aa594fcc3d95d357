import type { Printer } from '../types.js';
import { translateTimestampSince } from './age.js';
import { AGE_COLUMN, NAME_COLUMN, column } from './columns.js';
import { DOC } from './descriptions.js';
import { asArray, asObject, asString } from './format.js';

// printEndpointSlice from kubernetes pkg/printers/internalversion/printers.go.

const MAX_SHOWN = 3;

/** listWithMoreString: like the Endpoints list, but `<unset>` when empty. */
function listWithMoreString(list: string[], more: boolean, count: number): string {
  const ret = list.join(',');
  if (more) return `${ret} + ${count - MAX_SHOWN} more...`;
  return ret === '' ? '<unset>' : ret;
}

function formatPorts(ports: unknown): string {
  const list: string[] = [];
  let more = false;
  let count = 0;
  for (const p of asArray<{ port?: number; name?: string }>(ports)) {
    if (list.length < MAX_SHOWN) {
      list.push(typeof p.port === 'number' ? String(p.port) : typeof p.name === 'string' ? p.name : '*');
    } else if (list.length === MAX_SHOWN) {
      more = true;
    }
    count++;
  }
  return listWithMoreString(list, more, count);
}

function formatEndpoints(endpoints: unknown): string {
  const list: string[] = [];
  let more = false;
  let count = 0;
  for (const ep of asArray<{ addresses?: string[] }>(endpoints)) {
    for (const address of asArray<string>(ep.addresses)) {
      if (list.length < MAX_SHOWN) list.push(asString(address));
      else if (list.length === MAX_SHOWN) more = true;
      count++;
    }
  }
  return listWithMoreString(list, more, count);
}

export const endpointSlicePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('AddressType', 'string', DOC.esAddressType),
    column('Ports', 'string', DOC.esPorts),
    column('Endpoints', 'string', DOC.esEndpoints),
    AGE_COLUMN,
  ],
  cells(slice, now) {
    const s = asObject(slice);
    return [
      slice.metadata.name ?? '',
      asString(s.addressType),
      formatPorts(s.ports),
      formatEndpoints(s.endpoints),
      translateTimestampSince(slice.metadata.creationTimestamp, now),
    ];
  },
};
