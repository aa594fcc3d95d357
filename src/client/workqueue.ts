// A rate-limited work queue with client-go's guarantees: a key waiting in the queue is
// stored once however often it is added, and a key being processed is never handed to a
// second worker; if it is added meanwhile it is queued again when the first one is done.

/** Per-item exponential backoff, as client-go's ItemExponentialFailureRateLimiter. */
export class ExponentialBackoff {
  private failures = new Map<string, number>();
  constructor(
    private readonly baseMs = 5,
    private readonly maxMs = 1000_000,
  ) {}

  /** The delay before the next retry of key; each call counts one more failure. */
  when(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    // 2^n overflows to Infinity long before it matters; clamp keeps it finite.
    return Math.min(this.baseMs * 2 ** n, this.maxMs);
  }

  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  forget(key: string): void {
    this.failures.delete(key);
  }
}

/** setTimeout's limit (2^31 - 1 ms, about 24.8 days); beyond it Node fires after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class WorkQueue {
  private queue: string[] = [];
  private dirty = new Set<string>();
  private processing = new Set<string>();
  private waiters: ((key: string | undefined) => void)[] = [];
  private timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private shuttingDown = false;

  constructor(readonly limiter = new ExponentialBackoff()) {}

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    const waiter = this.waiters.shift();
    if (waiter) {
      this.dirty.delete(key);
      this.processing.add(key);
      waiter(key);
    } else {
      this.queue.push(key);
    }
  }

  /** Adds key after ms; an earlier pending add for the same key wins. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = Date.now() + ms;
    const pending = this.timers.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    this.arm(key, at);
  }

  /** A timer for key at `at`, in steps Node's timers can hold (a longer delay would fire at once). */
  private arm(key: string, at: number): void {
    const timer = setTimeout(() => {
      if (Date.now() < at) return this.arm(key, at);
      this.timers.delete(key);
      this.add(key);
    }, Math.min(at - Date.now(), MAX_TIMER_MS));
    this.timers.set(key, { at, timer });
  }

  addRateLimited(key: string): void {
    this.addAfter(key, this.limiter.when(key));
  }

  /** Stop tracking failures of key (call after a successful reconcile). */
  forget(key: string): void {
    this.limiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.limiter.retries(key);
  }

  /** The next key to process, or undefined once the queue is shut down. */
  get(): Promise<string | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const key = this.queue.shift();
    if (key !== undefined) {
      this.dirty.delete(key);
      this.processing.add(key);
      return Promise.resolve(key);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks key processed; re-queues it if it was added while being processed. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) {
      this.dirty.delete(key);
      this.add(key);
    }
  }

  get length(): number {
    return this.queue.length;
  }

  shutDown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    for (const w of this.waiters.splice(0)) w(undefined);
  }
}
