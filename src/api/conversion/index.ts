import type { KObject } from '../types.js';
import { groupVersionOf } from '../types.js';
import { kindKey } from '../kinds.js';
import { convertHPA } from './hpa.js';
import { convertIstio } from './istio.js';

export { METRIC_SPECS_ANNOTATION, METRIC_STATUSES_ANNOTATION, CONDITIONS_ANNOTATION, BEHAVIOR_ANNOTATION } from './hpa.js';

/** Version converters by kind key: convert(obj, toVersion) returns a new object. */
export const converters: Record<string, (obj: KObject, toVersion: string) => KObject> = {
  [kindKey('autoscaling', 'HorizontalPodAutoscaler')]: convertHPA,
  [kindKey('networking.istio.io', 'Gateway')]: convertIstio,
  [kindKey('networking.istio.io', 'VirtualService')]: convertIstio,
  [kindKey('networking.istio.io', 'DestinationRule')]: convertIstio,
  [kindKey('networking.istio.io', 'ServiceEntry')]: convertIstio,
};

/**
 * Converts any served object to another version of its group. Kinds with a single version
 * only accept that version; the result is always a new object.
 */
export function convert(obj: KObject, toVersion: string): KObject {
  const { group, version } = groupVersionOf(obj.apiVersion ?? '');
  const fn = converters[kindKey(group, obj.kind ?? '')];
  if (fn) return fn(obj, toVersion);
  if (version === toVersion) return structuredClone(obj);
  throw new Error(`converting ${obj.kind ?? 'object'} ${obj.metadata?.name ?? ''} from ${obj.apiVersion} to version ${toVersion}: no conversion for this kind`);
}
