import type { Printer } from '../types.js';
import { translateTimestampSince } from './age.js';
import { AGE_COLUMN, NAME_COLUMN, column } from './columns.js';
import { DOC } from './descriptions.js';
import { asArray, asInt, asObject, asString, type Json } from './format.js';

// printHorizontalPodAutoscaler / formatHPAMetrics from kubernetes
// pkg/printers/internalversion/printers.go, on the autoscaling/v2 storage version.

const MAX_METRICS = 2;

/**
 * resource.Quantity.String() of a stored quantity. Stored quantities keep the text they were
 * written with; a nil quantity prints "<nil>" as upstream's nil *Quantity does.
 */
function quantity(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return '<nil>';
}

function percent(v: unknown): string {
  return `${asInt(v)}%`;
}

function hasValue(v: unknown): boolean {
  return v !== undefined && v !== null;
}

/** A value-or-average metric source (External, Object): `cur/target` or `cur/target (avg)`. */
function valueMetric(source: Json, status: Json | undefined): string {
  const target = asObject(source.target);
  const current = status ? asObject(status.current) : undefined;
  if (hasValue(target.averageValue)) {
    const cur = current && hasValue(current.averageValue) ? quantity(current.averageValue) : '<unknown>';
    return `${cur}/${quantity(target.averageValue)} (avg)`;
  }
  const cur = current ? quantity(current.value) : '<unknown>';
  return `${cur}/${quantity(target.value)}`;
}

/** A (container) resource metric: `cpu: cur/target` by average value or utilization percentage. */
function resourceMetric(source: Json, status: Json | undefined): string {
  const name = asString(source.name);
  const target = asObject(source.target);
  const current = status ? asObject(status.current) : undefined;
  if (hasValue(target.averageValue)) {
    const cur = current ? quantity(current.averageValue) : '<unknown>';
    return `${name}: ${cur}/${quantity(target.averageValue)}`;
  }
  const cur = current && hasValue(current.averageUtilization) ? percent(current.averageUtilization) : '<unknown>';
  const tgt = hasValue(target.averageUtilization) ? percent(target.averageUtilization) : '<auto>';
  return `${name}: ${cur}/${tgt}`;
}

/** formatHPAMetrics: statuses are matched to specs by position, as upstream does. */
export function formatHPAMetrics(specs: unknown, statuses: unknown): string {
  const specList = asArray<Json>(specs);
  const statusList = asArray<Json>(statuses);
  if (specList.length === 0) return '<none>';
  const list: string[] = [];
  specList.forEach((spec, i) => {
    const status = i < statusList.length ? asObject(statusList[i]) : undefined;
    const field = (key: string): Json | undefined => (status && hasValue(status[key]) ? asObject(status[key]) : undefined);
    switch (spec.type) {
      case 'External':
        list.push(valueMetric(asObject(spec.external), field('external')));
        break;
      case 'Object':
        list.push(valueMetric(asObject(spec.object), field('object')));
        break;
      case 'Pods': {
        const pods = field('pods');
        const cur = pods ? quantity(asObject(pods.current).averageValue) : '<unknown>';
        list.push(`${cur}/${quantity(asObject(asObject(spec.pods).target).averageValue)}`);
        break;
      }
      case 'Resource':
        list.push(resourceMetric(asObject(spec.resource), field('resource')));
        break;
      case 'ContainerResource':
        list.push(resourceMetric(asObject(spec.containerResource), field('containerResource')));
        break;
      default:
        list.push('<unknown type>');
    }
  });
  if (list.length > MAX_METRICS) {
    return `${list.slice(0, MAX_METRICS).join(', ')} + ${list.length - MAX_METRICS} more...`;
  }
  return list.join(', ');
}

export const hpaPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Reference', 'string', DOC.hpaScaleTargetRef),
    column('Targets', 'string', DOC.hpaMetrics),
    column('MinPods', 'string', DOC.hpaMinReplicas),
    column('MaxPods', 'string', DOC.hpaMaxReplicas),
    column('Replicas', 'string', DOC.hpaCurrentReplicas),
    AGE_COLUMN,
  ],
  cells(hpa, now) {
    const spec = asObject(hpa.spec);
    const status = asObject(hpa.status);
    const ref = asObject(spec.scaleTargetRef);
    return [
      hpa.metadata.name ?? '',
      `${asString(ref.kind)}/${asString(ref.name)}`,
      formatHPAMetrics(spec.metrics, status.currentMetrics),
      hasValue(spec.minReplicas) ? String(asInt(spec.minReplicas)) : '<unset>',
      asInt(spec.maxReplicas),
      asInt(status.currentReplicas),
      translateTimestampSince(hpa.metadata.creationTimestamp, now),
    ];
  },
};
