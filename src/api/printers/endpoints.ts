import type { IEndpointAddress } from 'kubernetes-models/v1/EndpointAddress';
import type { IEndpointPort } from 'kubernetes-models/v1/EndpointPort';
import type { IEndpointSubset } from 'kubernetes-models/v1/EndpointSubset';
import type { IEndpoints } from 'kubernetes-models/v1/Endpoints';
import type { Printer } from '../types.js';
import { translateTimestampSince } from './age.js';
import { AGE_COLUMN, NAME_COLUMN, column } from './columns.js';
import { DOC } from './descriptions.js';
import { asArray, asInt, asObject, asString, listWithMore } from './format.js';

// printEndpoints / formatEndpoints from kubernetes pkg/printers/internalversion/printers.go.


const MAX_SHOWN = 3;

/** net.JoinHostPort: brackets around IPv6 hosts. */
function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** formatEndpoints with all ports: up to three ip:port pairs, then ` + N more...`. */
export function formatEndpoints(ep: unknown): string {
  const subsets = asArray<Partial<IEndpointSubset>>(asObject<IEndpoints>(ep).subsets);
  if (subsets.length === 0) return '<none>';
  const list: string[] = [];
  let more = false;
  let count = 0;
  for (const ss of subsets) {
    const addresses = asArray<Partial<IEndpointAddress>>(ss.addresses);
    const ports = asArray<Partial<IEndpointPort>>(ss.ports);
    if (ports.length === 0) {
      // headless services may have no ports
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === MAX_SHOWN) {
          more = true;
          break;
        }
        list.push(asString(a.ip));
      }
      continue;
    }
    for (const port of ports) {
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === MAX_SHOWN) {
          more = true;
          break;
        }
        list.push(joinHostPort(asString(a.ip), asInt(port.port)));
      }
    }
  }
  return listWithMore(list, count, MAX_SHOWN, more);
}

export const endpointsPrinter: Printer = {
  columns: [NAME_COLUMN, column('Endpoints', 'string', DOC.epSubsets), AGE_COLUMN],
  cells(ep, now) {
    return [ep.metadata.name ?? '', formatEndpoints(ep), translateTimestampSince(ep.metadata.creationTimestamp, now)];
  },
};
