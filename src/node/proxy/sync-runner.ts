// Runs the proxy's sync one at a time: requests that arrive while a run is in flight are folded
// into a single run right after it, so a burst of informer events costs at most two nft runs and
// the last one always sees the newest state. A failed run is retried with exponential backoff;
// requests arriving during the backoff wait for it, so a persistent failure (nft missing, a
// kernel refusing a rule) cannot turn an event stream into a busy loop.

export interface SyncRunnerOptions {
  /** First retry delay after a failure (ms). */
  minBackoffMs?: number;
  /** Longest retry delay (ms). */
  maxBackoffMs?: number;
  /** Told about each failure and the delay before the retry. */
  onError?: (error: Error, retryInMs: number) => void;
}

export class SyncRunner {
  private pending = false;
  private running?: Promise<void>;
  private retryTimer?: NodeJS.Timeout;
  private failures = 0;
  private stopped = false;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;

  constructor(
    private readonly fn: () => Promise<void>,
    private readonly o: SyncRunnerOptions = {},
  ) {
    this.minBackoffMs = o.minBackoffMs ?? 250;
    this.maxBackoffMs = o.maxBackoffMs ?? 30_000;
  }

  /** Asks for a run; returns at once. */
  request(): void {
    if (this.stopped) return;
    this.pending = true;
    if (!this.running && !this.retryTimer) this.running = this.loop();
  }

  /** Resolves when no run is in flight or pending (backoff timers aside). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Stops retries and further runs; waits for the run in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.pending = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    await this.idle();
  }

  private async loop(): Promise<void> {
    try {
      while (this.pending && !this.stopped) {
        this.pending = false;
        try {
          await this.fn();
          this.failures = 0;
        } catch (e) {
          const delay = Math.min(this.minBackoffMs * 2 ** this.failures, this.maxBackoffMs);
          this.failures++;
          this.o.onError?.(e as Error, delay);
          if (!this.stopped) {
            this.pending = false;
            this.retryTimer = setTimeout(() => {
              this.retryTimer = undefined;
              this.request();
            }, delay);
          }
        }
      }
    } finally {
      this.running = undefined;
    }
  }
}
