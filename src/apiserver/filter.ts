import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { IEvent } from 'kubernetes-models/v1/Event';
import type { INode } from 'kubernetes-models/v1/Node';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { KObject, ObjectOf, ResourceDef } from '../api/types.js';
import {
  matchesRequirements,
  parseFieldSelector,
  parseLabelSelector,
  SelectorError,
  type FieldRequirement,
  type Requirement,
} from '../api/selectors.js';
import { errors } from '../api/errors.js';

type Getter = (o: KObject) => string | undefined;

const get = (path: string): Getter => {
  const parts = path.split('.');
  return (o) => {
    let v: unknown = o;
    for (const p of parts) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
    return v === undefined || v === null ? undefined : String(v);
  };
};

// The field labels each kind supports, as upstream's per-kind GetAttrs / field label conversion.
const FIELDS: Record<string, string[]> = {
  Event: [
    'involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid',
    'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath',
    'reason', 'reportingComponent', 'source', 'type',
  ],
  Pod: ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'spec.hostNetwork', 'status.phase', 'status.podIP', 'status.nominatedNodeName'],
  Secret: ['type'],
  Namespace: ['status.phase'],
  Node: ['spec.unschedulable'],
  ReplicaSet: ['status.replicas'],
  Job: ['status.successful'],
};

// Each getter reads a stored object of its own kind (type-checked when written).
const SPECIAL: Record<string, Getter> = {
  source: (o) => (o as ObjectOf<IEvent>).source?.component ?? '',
  'spec.hostNetwork': (o) => String(Boolean((o as ObjectOf<IPod>).spec?.hostNetwork)),
  'spec.unschedulable': (o) => String(Boolean((o as ObjectOf<INode>).spec?.unschedulable)),
  // JobToSelectableFields: the succeeded count under its old name, 0 when unset.
  'status.successful': (o) => String((o as ObjectOf<IJob>).status?.succeeded ?? 0),
};

export interface Filter {
  labels: Requirement[];
  fields: { req: FieldRequirement; get: Getter }[];
}

/** Parses labelSelector/fieldSelector query parameters for a kind; 400 on what upstream refuses. */
export function parseFilter(def: ResourceDef, labelSelector: string | null, fieldSelector: string | null): Filter | undefined {
  if (!labelSelector && !fieldSelector) return undefined;
  try {
    const labels = labelSelector ? parseLabelSelector(labelSelector) : [];
    const fields = (fieldSelector ? parseFieldSelector(fieldSelector) : []).map((req) => {
      const allowed = req.field === 'metadata.name' || req.field === 'metadata.namespace' || (FIELDS[def.kind] ?? []).includes(req.field);
      if (!allowed) throw errors.badRequest(`field label not supported: ${req.field}`);
      return { req, get: SPECIAL[req.field] ?? get(req.field) };
    });
    return { labels, fields };
  } catch (e) {
    if (e instanceof SelectorError) throw errors.badRequest(e.message);
    throw e;
  }
}

export function matches(f: Filter | undefined, o: KObject): boolean {
  if (!f) return true;
  if (f.labels.length && !matchesRequirements(f.labels, o.metadata?.labels)) return false;
  for (const { req, get } of f.fields) {
    const v = get(o) ?? '';
    if (req.op === '=' ? v !== req.value : v === req.value) return false;
  }
  return true;
}
