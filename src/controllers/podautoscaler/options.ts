// HPAControllerConfiguration: kube-controller-manager's --horizontal-pod-autoscaler-* flags,
// with upstream's names, Go duration syntax and defaults.
import { parseGoDuration } from '../../api/duration.js';

export interface HPAOptions {
  syncPeriodMs: number;
  tolerance: number;
  downscaleStabilizationMs: number;
  cpuInitializationPeriodMs: number;
  initialReadinessDelayMs: number;
}

export const DEFAULT_HPA_OPTIONS: HPAOptions = {
  syncPeriodMs: 15_000,
  tolerance: 0.1,
  downscaleStabilizationMs: 300_000,
  cpuInitializationPeriodMs: 300_000,
  initialReadinessDelayMs: 30_000,
};

const DURATION_FLAGS: Record<string, keyof HPAOptions> = {
  'horizontal-pod-autoscaler-sync-period': 'syncPeriodMs',
  'horizontal-pod-autoscaler-downscale-stabilization': 'downscaleStabilizationMs',
  'horizontal-pod-autoscaler-cpu-initialization-period': 'cpuInitializationPeriodMs',
  'horizontal-pod-autoscaler-initial-readiness-delay': 'initialReadinessDelayMs',
};

/** The flags parseHPAFlags reads. */
export const HPA_FLAGS: readonly string[] = [...Object.keys(DURATION_FLAGS), 'horizontal-pod-autoscaler-tolerance'];

/**
 * The options from flags given as `--name=value` or `--name value`; other controllers' flags
 * are left to them. Throws on a bad value of one of these, naming the flag.
 */
export function parseHPAFlags(args: string[]): HPAOptions {
  const o = { ...DEFAULT_HPA_OPTIONS };
  for (let i = 0; i < args.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(args[i]);
    if (!m) continue;
    const name = m[1];
    if (!(name in DURATION_FLAGS) && name !== 'horizontal-pod-autoscaler-tolerance') continue;
    const value = m[2] ?? args[++i] ?? '';
    if (name === 'horizontal-pod-autoscaler-tolerance') {
      const t = Number(value);
      if (value === '' || !Number.isFinite(t) || t < 0) throw new Error(`invalid argument "${value}" for "--${name}" flag: must be a non-negative number`);
      o.tolerance = t;
      continue;
    }
    const ms = parseGoDuration(value);
    if (ms === undefined || ms < 0) throw new Error(`invalid argument "${value}" for "--${name}" flag: time: invalid duration "${value}"`);
    o[DURATION_FLAGS[name]] = ms;
  }
  return o;
}
