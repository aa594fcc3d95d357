import type { IAPIServiceCondition } from 'kubernetes-models/apiregistration.k8s.io/v1/APIServiceCondition';
import type { IAPIServiceSpec } from 'kubernetes-models/apiregistration.k8s.io/v1/APIServiceSpec';
import type { IAPIServiceStatus } from 'kubernetes-models/apiregistration.k8s.io/v1/APIServiceStatus';
import type { Printer } from '../types.js';
import { translateTimestampSince } from './age.js';
import { AGE_COLUMN, NAME_COLUMN, column } from './columns.js';
import { asArray, asObject, asString } from './format.js';

// kube-aggregator pkg/registry/apiservice/etcd's table: the backing Service ("Local" for groups
// the API server serves itself) and the Available condition, with its reason when not True.


export function availableCell(status: unknown): string {
  const c = asArray<Partial<IAPIServiceCondition>>(asObject<IAPIServiceStatus>(status).conditions).find((x) => x.type === 'Available');
  if (!c) return 'Unknown';
  if (c.status === 'True') return 'True';
  return `${c.status} (${c.reason ?? ''})`;
}

export const apiServicePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Service', 'string', 'The reference to the service that hosts this API endpoint.'),
    column('Available', 'string', 'Whether this service is available.'),
    AGE_COLUMN,
  ],
  cells(svc, now) {
    const ref = asObject(asObject<IAPIServiceSpec>(svc.spec).service);
    const service = asString(ref.name) ? `${asString(ref.namespace)}/${asString(ref.name)}` : 'Local';
    return [svc.metadata.name ?? '', service, availableCell(svc.status), translateTimestampSince(svc.metadata.creationTimestamp, now)];
  },
};
