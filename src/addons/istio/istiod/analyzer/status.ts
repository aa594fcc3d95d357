import type { KObject } from '../../../../api/types.js';
import { jsonEqual } from '../../../../api/validation/json.js';
import type { AnalysisMessage, Finding } from './messages.js';

// How analysis lands on an object: status.validationMessages holds each message's
// AnalysisMessageBase (documentation URL, level, code), as istiod's status controller writes it.

/** url.ConfigAnalysis for the Istio minor version istiod reports. */
const ANALYSIS_DOCS = 'https://istio.io/v1.26/docs/reference/config/analysis';

export interface ValidationMessage {
  documentationUrl: string;
  level: 'ERROR' | 'WARNING' | 'INFO';
  type: { code: string };
}

export function validationMessage(m: AnalysisMessage): ValidationMessage {
  return {
    documentationUrl: `${ANALYSIS_DOCS}/${m.type.code.toLowerCase()}/`,
    level: m.type.level.toUpperCase() as ValidationMessage['level'],
    type: { code: m.type.code },
  };
}

/** diag.Message.String() without the origin, which the event's involved object already names. */
export function eventMessage(m: AnalysisMessage): string {
  return `${m.type.level} [${m.type.code}] ${m.text}`;
}

export const objectKey = (o: KObject) => `${o.kind ?? ''}/${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

/** The messages each object should carry: every analyzed object, with none when it has no findings. */
export function messagesByObject(objects: KObject[], findings: Finding[]): Map<string, AnalysisMessage[]> {
  const out = new Map<string, AnalysisMessage[]>(objects.map((o) => [objectKey(o), []]));
  for (const f of findings) out.get(objectKey(f.resource))?.push(f.message);
  return out;
}

export function currentValidationMessages(o: KObject): unknown[] {
  const status = (o.status ?? {}) as { validationMessages?: unknown };
  return Array.isArray(status.validationMessages) ? status.validationMessages : [];
}

/** The status patch an object needs, or undefined when its status already says this. */
export function statusPatch(o: KObject, messages: AnalysisMessage[]): { status: { validationMessages: ValidationMessage[] | null } } | undefined {
  const want = messages.map(validationMessage);
  if (jsonEqual(currentValidationMessages(o), want)) return undefined;
  // An empty list is dropped from the status, as Go's omitempty does.
  return { status: { validationMessages: want.length ? want : null } };
}
