import type { KObject } from '../types.js';
import { groupVersionOf } from '../types.js';

// networking.istio.io serves v1, v1beta1 and v1alpha3 with one schema, so converting only
// changes apiVersion (the CRDs use conversion strategy None).

export const ISTIO_VERSIONS = ['v1', 'v1beta1', 'v1alpha3'];

export function convertIstio(obj: KObject, toVersion: string): KObject {
  if (!ISTIO_VERSIONS.includes(toVersion)) throw new Error(`converting ${obj.kind ?? 'object'} ${obj.metadata?.name ?? ''}: version ${toVersion} is not served`);
  const { group } = groupVersionOf(obj.apiVersion ?? 'networking.istio.io/v1');
  return { ...structuredClone(obj), apiVersion: `${group || 'networking.istio.io'}/${toVersion}` };
}
