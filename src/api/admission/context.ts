import type { KObject } from '../types.js';

/** What an admitter may read of the stored world. */
export interface AdmissionContext {
  /** The stored objects of a resource ("<group or core>/<plural>"), all namespaces. */
  list(resource: string): KObject[];
  /** One stored object ("<group or core>/<plural>", namespace or '' for cluster scope, name). */
  get?(resource: string, namespace: string, name: string): KObject | undefined;
}

/** An admission plugin's refusal: the server answers 403 `<resource> "<name>" is forbidden: <message>` (admission.NewForbidden). */
export class AdmissionForbidden extends Error {}
