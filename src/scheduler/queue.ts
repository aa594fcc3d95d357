// When to retry a pod that did not fit (pkg/scheduler/internal/queue): a failed pod waits in
// the "unschedulable" set until something in the cluster changes (a node appears or changes,
// a bound pod goes away), then retries once its backoff (1 s doubling to 10 s per attempt)
// has passed. A pod parked for 5 minutes is retried anyway. A change that happens while an
// attempt is running sends the pod straight to backoff, so that change is not missed. The
// scheduler skips the backoff of moved pods when its queue is empty (see moveAll there).

export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  /** How long a pod stays parked without any cluster change before it is retried. */
  maxUnschedulableMs?: number;
  now?: () => number;
}

interface Attempts {
  count: number;
  last: number;
}

export class SchedulingBackoff {
  private attempts = new Map<string, Attempts>();
  private parked = new Set<string>();
  private moves = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly maxUnschedulableMs: number;
  private readonly now: () => number;

  constructor(o: BackoffOptions = {}) {
    this.initialMs = o.initialMs ?? 1000;
    this.maxMs = o.maxMs ?? 10_000;
    this.maxUnschedulableMs = o.maxUnschedulableMs ?? 5 * 60_000;
    this.now = o.now ?? Date.now;
  }

  /** Call when an attempt starts; pass the result to failed(). */
  beginAttempt(): number {
    return this.moves;
  }

  /** The pod did not fit; returns after how many ms it should be tried again. */
  failed(key: string, attemptStartedAt: number): number {
    const a = this.attempts.get(key) ?? { count: 0, last: 0 };
    a.count++;
    a.last = this.now();
    this.attempts.set(key, a);
    if (this.moves !== attemptStartedAt) return this.remaining(key);
    this.parked.add(key);
    return this.maxUnschedulableMs;
  }

  /** A cluster change that may let parked pods fit: each one with the delay before its retry. */
  moveAll(): [string, number][] {
    this.moves++;
    const out: [string, number][] = [];
    for (const key of this.parked) out.push([key, this.remaining(key)]);
    this.parked.clear();
    return out;
  }

  /** The pod was scheduled, deleted or is no longer ours. */
  forget(key: string): void {
    this.attempts.delete(key);
    this.parked.delete(key);
  }

  isParked(key: string): boolean {
    return this.parked.has(key);
  }

  backoffMs(key: string): number {
    const n = this.attempts.get(key)?.count ?? 0;
    if (n === 0) return 0;
    return Math.min(this.initialMs * 2 ** (n - 1), this.maxMs);
  }

  private remaining(key: string): number {
    const a = this.attempts.get(key);
    if (!a) return 0;
    return Math.max(0, a.last + this.backoffMs(key) - this.now());
  }
}
