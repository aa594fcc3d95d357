// The second half of horizontal.go: from the metrics' proposal to the replica count the
// controller sets, through the stabilization window and the scaling limits; the older path
// when spec.behavior is unset, the policies of spec.behavior otherwise. The history of
// recommendations and scale events lives here, per HPA key, in memory as upstream keeps it.

export interface ScalingPolicy {
  type: 'Pods' | 'Percent';
  value: number;
  periodSeconds: number;
}

export interface ScalingRules {
  stabilizationWindowSeconds?: number;
  selectPolicy?: 'Max' | 'Min' | 'Disabled';
  policies?: ScalingPolicy[];
}

export interface Behavior {
  scaleUp?: ScalingRules;
  scaleDown?: ScalingRules;
}

interface Recommendation {
  replicas: number;
  at: number;
}

interface ScaleEvent {
  change: number;
  at: number;
  outdated: boolean;
}

export interface Limited {
  replicas: number;
  reason: string;
  message: string;
}

const SCALE_UP_LIMIT_FACTOR = 2;
const SCALE_UP_LIMIT_MINIMUM = 4;

/** Scale-up limit of the older path: at most double, and at least 4, per sync. */
export function scaleUpLimit(currentReplicas: number): number {
  return Math.max(SCALE_UP_LIMIT_FACTOR * currentReplicas, SCALE_UP_LIMIT_MINIMUM);
}

/** convertDesiredReplicasWithRules: min/max clamping and the older scale-up limit. */
export function convertDesiredReplicasWithRules(currentReplicas: number, desired: number, minReplicas: number, maxReplicas: number): Limited {
  const limit = scaleUpLimit(currentReplicas);
  const [maximum, reason, message] =
    maxReplicas > limit
      ? [limit, 'ScaleUpLimit', 'the desired replica count is increasing faster than the maximum scale rate']
      : [maxReplicas, 'TooManyReplicas', 'the desired replica count is more than the maximum replica count'];
  if (desired < minReplicas) return { replicas: minReplicas, reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' };
  if (desired > maximum) return { replicas: maximum, reason, message };
  return { replicas: desired, reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' };
}

function changeInPeriod(periodSeconds: number, events: ScaleEvent[], now: number): number {
  const cutoff = now - periodSeconds * 1000;
  let n = 0;
  for (const e of events) if (e.at > cutoff) n += e.change;
  return n;
}

/** calculateScaleUpLimitWithScalingRules: the most replicas the policies allow now. */
export function scaleUpLimitWithRules(currentReplicas: number, upEvents: ScaleEvent[], downEvents: ScaleEvent[], rules: ScalingRules, now: number): number {
  if (rules.selectPolicy === 'Disabled') return currentReplicas;
  const pickMin = rules.selectPolicy === 'Min';
  let result = pickMin ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
  for (const p of rules.policies ?? []) {
    const periodStart = currentReplicas - changeInPeriod(p.periodSeconds, upEvents, now) + changeInPeriod(p.periodSeconds, downEvents, now);
    // Rounded up so that a small percentage still lets the target grow.
    const proposed = p.type === 'Pods' ? periodStart + p.value : Math.ceil(periodStart * (1 + p.value / 100));
    result = pickMin ? Math.min(result, proposed) : Math.max(result, proposed);
  }
  return result;
}

/** calculateScaleDownLimitWithBehaviors: the fewest replicas the policies allow now. */
export function scaleDownLimitWithRules(currentReplicas: number, upEvents: ScaleEvent[], downEvents: ScaleEvent[], rules: ScalingRules, now: number): number {
  if (rules.selectPolicy === 'Disabled') return currentReplicas;
  const pickMin = rules.selectPolicy === 'Min';
  let result = pickMin ? Number.MIN_SAFE_INTEGER : Number.MAX_SAFE_INTEGER;
  for (const p of rules.policies ?? []) {
    const periodStart = currentReplicas - changeInPeriod(p.periodSeconds, upEvents, now) + changeInPeriod(p.periodSeconds, downEvents, now);
    const proposed = p.type === 'Pods' ? periodStart - p.value : Math.trunc(periodStart * (1 - p.value / 100));
    // For scaling down the smallest change is the highest count.
    result = pickMin ? Math.max(result, proposed) : Math.min(result, proposed);
  }
  return result;
}

export interface NormalizeInput {
  key: string;
  currentReplicas: number;
  desiredReplicas: number;
  minReplicas: number;
  maxReplicas: number;
}

export interface Normalized {
  replicas: number;
  /** AbleToScale (True) after stabilization. */
  ableToScale: { reason: string; message: string };
  /** ScalingLimited: limited when `limited`. */
  scalingLimited: Limited & { limited: boolean };
}

/** The recommendations and scale events of every HPA, as HorizontalController keeps them. */
export class ScalingHistory {
  private recommendations = new Map<string, Recommendation[]>();
  private upEvents = new Map<string, ScaleEvent[]>();
  private downEvents = new Map<string, ScaleEvent[]>();

  constructor(
    /** --horizontal-pod-autoscaler-downscale-stabilization, in ms. */
    private readonly downscaleStabilizationMs: number,
  ) {}

  forget(key: string): void {
    this.recommendations.delete(key);
    this.upEvents.delete(key);
    this.downEvents.delete(key);
  }

  /** recordInitialRecommendation: the current count is the first recommendation. */
  recordInitial(key: string, currentReplicas: number, now: number): void {
    if (!this.recommendations.has(key)) this.recommendations.set(key, [{ replicas: currentReplicas, at: now }]);
  }

  /** Records the recommendation, reusing the slot of one that fell out of every window. */
  private record(key: string, replicas: number, now: number, oldIndex: number): void {
    const recs = this.recommendations.get(key) ?? [];
    if (oldIndex >= 0) recs[oldIndex] = { replicas, at: now };
    else recs.push({ replicas, at: now });
    this.recommendations.set(key, recs);
  }

  /** normalizeDesiredReplicas, the path without spec.behavior. */
  normalize(a: NormalizeInput, now: number): Normalized {
    const cutoff = now - this.downscaleStabilizationMs;
    let stabilized = a.desiredReplicas;
    let oldIndex = -1;
    (this.recommendations.get(a.key) ?? []).forEach((r, i) => {
      if (r.at < cutoff) oldIndex = i;
      else if (r.replicas > stabilized) stabilized = r.replicas;
    });
    this.record(a.key, a.desiredReplicas, now, oldIndex);
    const ableToScale =
      stabilized !== a.desiredReplicas
        ? { reason: 'ScaleDownStabilized', message: 'recent recommendations were higher than current one, applying the highest recent recommendation' }
        : { reason: 'ReadyForNewScale', message: 'recommended size matches current size' };
    const limited = convertDesiredReplicasWithRules(a.currentReplicas, stabilized, a.minReplicas, a.maxReplicas);
    return { replicas: limited.replicas, ableToScale, scalingLimited: { ...limited, limited: limited.replicas !== stabilized } };
  }

  /** normalizeDesiredReplicasWithBehaviors; `behavior` has the API server's defaults applied. */
  normalizeWithBehavior(a: NormalizeInput, behavior: Behavior, now: number): Normalized {
    const up = behavior.scaleUp ?? {};
    // maybeInitScaleDownStabilizationWindow: an unset window comes from the controller's flag.
    const down = { ...behavior.scaleDown, stabilizationWindowSeconds: behavior.scaleDown?.stabilizationWindowSeconds ?? this.downscaleStabilizationMs / 1000 };
    const upCutoff = now - (up.stabilizationWindowSeconds ?? 0) * 1000;
    const downCutoff = now - down.stabilizationWindowSeconds * 1000;
    let upRecommendation = a.desiredReplicas;
    let downRecommendation = a.desiredReplicas;
    let oldIndex = -1;
    (this.recommendations.get(a.key) ?? []).forEach((r, i) => {
      if (r.at > upCutoff) upRecommendation = Math.min(r.replicas, upRecommendation);
      if (r.at > downCutoff) downRecommendation = Math.max(r.replicas, downRecommendation);
      if (r.at < upCutoff && r.at < downCutoff) oldIndex = i;
    });
    let stabilized = a.currentReplicas;
    if (stabilized < upRecommendation) stabilized = upRecommendation;
    if (stabilized > downRecommendation) stabilized = downRecommendation;
    this.record(a.key, a.desiredReplicas, now, oldIndex);

    let ableToScale = { reason: 'ReadyForNewScale', message: 'recommended size matches current size' };
    if (stabilized !== a.desiredReplicas) {
      ableToScale =
        a.desiredReplicas >= a.currentReplicas
          ? { reason: 'ScaleUpStabilized', message: 'recent recommendations were lower than current one, applying the lowest recent recommendation' }
          : { reason: 'ScaleDownStabilized', message: 'recent recommendations were higher than current one, applying the highest recent recommendation' };
    }
    const limited = this.limitByRate({ ...a, desiredReplicas: stabilized }, up, down, now);
    return { replicas: limited.replicas, ableToScale, scalingLimited: { ...limited, limited: limited.replicas !== stabilized } };
  }

  /** convertDesiredReplicasWithBehaviorRate: the policies' rate and min/max. */
  private limitByRate(a: NormalizeInput, up: ScalingRules, down: ScalingRules, now: number): Limited {
    const upEvents = this.upEvents.get(a.key) ?? [];
    const downEvents = this.downEvents.get(a.key) ?? [];
    if (a.desiredReplicas > a.currentReplicas) {
      // Until past scale-ups leave their periods the limit may sit below the current count.
      const limit = Math.max(scaleUpLimitWithRules(a.currentReplicas, upEvents, downEvents, up, now), a.currentReplicas);
      const [maximum, reason, message] =
        a.maxReplicas > limit
          ? [limit, 'ScaleUpLimit', 'the desired replica count is increasing faster than the maximum scale rate']
          : [a.maxReplicas, 'TooManyReplicas', 'the desired replica count is more than the maximum replica count'];
      if (a.desiredReplicas > maximum) return { replicas: maximum, reason, message };
    } else if (a.desiredReplicas < a.currentReplicas) {
      const limit = Math.min(scaleDownLimitWithRules(a.currentReplicas, upEvents, downEvents, down, now), a.currentReplicas);
      const [minimum, reason, message] =
        a.minReplicas < limit
          ? [limit, 'ScaleDownLimit', 'the desired replica count is decreasing faster than the maximum scale rate']
          : [a.minReplicas, 'TooFewReplicas', 'the desired replica count is less than the minimum replica count'];
      if (a.desiredReplicas < minimum) return { replicas: minimum, reason, message };
    }
    return { replicas: a.desiredReplicas, reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' };
  }

  /** storeScaleEvent: only HPAs with behavior keep scale events; outdated ones are reused. */
  storeScaleEvent(key: string, behavior: Behavior | undefined, prev: number, next: number, now: number): void {
    if (!behavior) return;
    const upward = next > prev;
    const rules = (upward ? behavior.scaleUp : behavior.scaleDown) ?? {};
    const longest = Math.max(0, ...(rules.policies ?? []).map((p) => p.periodSeconds));
    const store = upward ? this.upEvents : this.downEvents;
    const events = store.get(key) ?? [];
    const cutoff = now - longest * 1000;
    let oldIndex = -1;
    events.forEach((e, i) => {
      if (e.at < cutoff) e.outdated = true;
      if (e.outdated) oldIndex = i;
    });
    const event = { change: Math.abs(next - prev), at: now, outdated: false };
    if (oldIndex >= 0) events[oldIndex] = event;
    else events.push(event);
    store.set(key, events);
  }
}
