import type { KObject } from '../types.js';
import { admitIngress } from './ingress.js';
import type { AdmissionContext } from './context.js';
import { admitPod } from './pod.js';

export { AdmissionForbidden, type AdmissionContext } from './context.js';

/** Mutating admission on create, by kind key: runs after defaulting and before validation. */
export const admitters: Record<string, (obj: KObject, ctx: AdmissionContext) => void> = {
  '/Pod': admitPod,
  'networking.k8s.io/Ingress': admitIngress,
};
