import type { KObject } from '../api/types.js';
import { isNamespaceTerminating, type ApiClient } from './client.js';
import { log as defaultLog, type Logger } from '../log.js';
import { EVENTS } from './resources.js';

// core/v1 Events as client-go's legacy EventRecorder writes them: one Event per distinct
// (object, type, reason, message), counted up with a PATCH when it repeats.


export type EventType = 'Normal' | 'Warning';

export interface Recorder {
  event(obj: KObject, type: EventType, reason: string, message: string): void;
}

interface Seen {
  name: string;
  namespace: string;
  count: number;
}

const MAX_REMEMBERED = 4096;

export class EventRecorder implements Recorder {
  private seen = new Map<string, Seen>();
  private pending = new Set<Promise<void>>();
  private seq = 0;

  constructor(
    private readonly client: Pick<ApiClient, 'create' | 'patch'>,
    private readonly component: string,
    private readonly log: Logger = defaultLog,
  ) {}

  event(obj: KObject, type: EventType, reason: string, message: string): void {
    const p = this.write(obj, type, reason, message).catch((e: Error) => {
      // Events are best effort, as upstream: a lost event must never fail a reconcile.
      if (isNamespaceTerminating(e)) return;
      this.log('error', 'event recorder: recording an event failed', { component: this.component, reason, kind: obj.kind, object: `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`, error: e.message });
    });
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  /** Resolves once every event recorded so far has been written (or has failed). */
  async flush(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  private async write(obj: KObject, type: EventType, reason: string, message: string): Promise<void> {
    const m = obj.metadata;
    const namespace = m.namespace || 'default';
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const key = `${m.uid}|${type}|${reason}|${message}`;
    const prior = this.seen.get(key);
    if (prior) {
      prior.count++;
      await this.client.patch(EVENTS, prior.namespace, prior.name, 'merge', { count: prior.count, lastTimestamp: now });
      return;
    }
    // Upstream names events `<object>.<unix nanos in hex>`; the sequence keeps two events
    // recorded in the same millisecond apart.
    const nanos = BigInt(Date.now()) * 1_000_000n + BigInt(this.seq++ % 1_000_000);
    const name = `${m.name}.${nanos.toString(16)}`;
    const ev: KObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: {
        kind: obj.kind,
        namespace: m.namespace,
        name: m.name,
        uid: m.uid,
        apiVersion: obj.apiVersion,
        resourceVersion: m.resourceVersion,
      },
      reason,
      message,
      source: { component: this.component },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: this.component,
      reportingInstance: '',
    };
    if (this.seen.size >= MAX_REMEMBERED) this.seen.delete(this.seen.keys().next().value as string);
    this.seen.set(key, { name, namespace, count: 1 });
    try {
      await this.client.create(EVENTS, namespace, ev);
    } catch (e) {
      this.seen.delete(key);
      throw e;
    }
  }
}
