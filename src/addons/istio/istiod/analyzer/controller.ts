import type { ApiClient } from '../../../../client/client.js';
import { EventRecorder } from '../../../../client/events.js';
import type { Informer, SharedInformers } from '../../../../client/informer.js';
import { PODS, SERVICES } from '../../../../client/resources.js';
import type { KObject } from '../../../../api/types.js';
import type { Logger } from '../../../../log.js';
import { DESTINATIONRULES as DESTINATION_RULES, GATEWAYS, SERVICEENTRIES as SERVICE_ENTRIES, VIRTUALSERVICES as VIRTUAL_SERVICES } from '../../../../client/resources.js';
import { analyze } from './analyze.js';
import { eventMessage, messagesByObject, objectKey, statusPatch } from './status.js';

// istiod's in-cluster analysis (pkg/config/analysis/incluster): on any change to what the
// analyzers read, after a quiet second (the analysis debounce), analyze everything again and
// write status.validationMessages on each VirtualService and DestinationRule whose messages
// changed, through the status subresource. A message an object did not have before is also
// recorded as a Warning event on it.

const DEBOUNCE_MS = 1000;

export class AnalysisController {
  private readonly inf: Record<'gateways' | 'virtualServices' | 'destinationRules' | 'serviceEntries' | 'services' | 'pods', Informer<KObject>>;
  private readonly events: EventRecorder;
  /** The event lines each object was last given, so a message is recorded once while it lasts. */
  private readonly evented = new Map<string, Set<string>>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly client: ApiClient,
    informers: SharedInformers,
    private readonly log: Logger,
  ) {
    this.inf = {
      gateways: informers.informer(GATEWAYS),
      virtualServices: informers.informer(VIRTUAL_SERVICES),
      destinationRules: informers.informer(DESTINATION_RULES),
      serviceEntries: informers.informer(SERVICE_ENTRIES),
      services: informers.informer(SERVICES),
      pods: informers.informer(PODS),
    };
    this.events = new EventRecorder(client, 'istiod', log);
    const changed = () => this.schedule();
    for (const i of Object.values(this.inf)) i.addHandler({ add: changed, update: changed, delete: changed });
  }

  /** Starts analyzing once every input has synced. */
  async start(): Promise<void> {
    await Promise.all(Object.values(this.inf).map((i) => i.waitForSync()));
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await this.events.flush();
  }

  private schedule(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.kick(), DEBOUNCE_MS);
  }

  private kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.run()
      .catch((e: Error) => this.log('error', 'In-cluster analysis has failed', { error: e.message }))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.schedule();
        }
      });
  }

  private async run(): Promise<void> {
    const input = {
      gateways: this.inf.gateways.list(),
      virtualServices: this.inf.virtualServices.list(),
      destinationRules: this.inf.destinationRules.list(),
      serviceEntries: this.inf.serviceEntries.list(),
      services: this.inf.services.list(),
      pods: this.inf.pods.list(),
    };
    const targets = [...input.virtualServices.map((o) => [VIRTUAL_SERVICES, o] as const), ...input.destinationRules.map((o) => [DESTINATION_RULES, o] as const)];
    const wanted = messagesByObject(targets.map(([, o]) => o), analyze(input));
    const live = new Set<string>();
    for (const [res, obj] of targets) {
      const key = objectKey(obj);
      live.add(key);
      const messages = wanted.get(key) ?? [];
      const patch = statusPatch(obj, messages);
      if (patch) {
        try {
          await this.client.patch(res, obj.metadata.namespace, obj.metadata.name!, 'merge', patch, 'status');
        } catch (e) {
          // Deleted meanwhile, or a conflict: the next change analyzes again.
          this.log('warning', 'writing validation messages failed', { object: key, error: (e as Error).message });
          continue;
        }
      }
      const lines = new Set(messages.map(eventMessage));
      // A status that already says this was written (and evented) before a restart.
      const before = this.evented.get(key) ?? (patch ? new Set<string>() : lines);
      for (const m of messages) if (!before.has(eventMessage(m))) this.events.event(obj, 'Warning', m.type.name, eventMessage(m));
      this.evented.set(key, lines);
    }
    for (const key of this.evented.keys()) if (!live.has(key)) this.evented.delete(key);
  }
}
