import type { KObject } from '../types.js';
import { ensureObject, isObject, setDefault, type JsonObject } from './util.js';

// autoscaling/v2 SetDefaults_HorizontalPodAutoscaler. Behavior is not created when absent
// (the controller then takes its older path); when present, its missing parts are filled, except
// the scale-down stabilization window, which the controller takes from
// --horizontal-pod-autoscaler-downscale-stabilization while it is unset.

export const DEFAULT_CPU_UTILIZATION = 80;

export function defaultHPA(hpa: KObject): void {
  const spec = ensureObject(hpa, 'spec');
  setDefault(spec, 'minReplicas', 1);
  if (!Array.isArray(spec.metrics) || spec.metrics.length === 0) {
    spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: DEFAULT_CPU_UTILIZATION } } }];
  }
  if (isObject(spec.behavior)) {
    spec.behavior.scaleUp = scalingRules(spec.behavior.scaleUp, [
      { type: 'Pods', value: 4, periodSeconds: 15 },
      { type: 'Percent', value: 100, periodSeconds: 15 },
    ], 0);
    spec.behavior.scaleDown = scalingRules(spec.behavior.scaleDown, [{ type: 'Percent', value: 100, periodSeconds: 15 }]);
  }
}

function scalingRules(rules: unknown, policies: JsonObject[], window?: number): JsonObject {
  const r = isObject(rules) ? rules : {};
  setDefault(r, 'selectPolicy', 'Max');
  if (!Array.isArray(r.policies)) r.policies = policies;
  if (window !== undefined && (r.stabilizationWindowSeconds === undefined || r.stabilizationWindowSeconds === null)) r.stabilizationWindowSeconds = window;
  return r;
}
