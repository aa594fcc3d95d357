import { groupVersionOf } from '../api/types.js';
import { isNotFound, type ApiClient, type Resource } from './client.js';

// client-go's restmapper.DeferredDiscoveryRESTMapper over a memory-cached discovery client, as
// kube-controller-manager gives it to the HPA's scale client: a kind is mapped to its resource
// from the group version's discovery document, fetched once and kept. A kind the cache does not
// know resets the cache and is looked up once more (a CRD installed since), unless the document
// was fetched for this very lookup; and the whole cache is dropped every resetPeriodMs, as the
// controller manager resets its mapper every 30 s, so a removed kind does not stay mapped.

interface APIResourceList {
  resources?: { name: string; kind: string; namespaced?: boolean }[];
}

export const RESTMAPPER_RESET_MS = 30_000;

export class DeferredDiscoveryRESTMapper {
  private cache = new Map<string, Promise<APIResourceList | undefined>>();
  private resetAt: number;

  constructor(
    private readonly client: Pick<ApiClient, 'request'>,
    private readonly resetPeriodMs = RESTMAPPER_RESET_MS,
    private readonly now: () => number = Date.now,
  ) {
    this.resetAt = now();
  }

  reset(): void {
    this.cache.clear();
    this.resetAt = this.now();
  }

  /** RESTMapping: the resource that serves `kind` in `apiVersion`; rejects with NoKindMatchError's message. */
  async resourceFor(apiVersion: string, kind: string): Promise<Resource> {
    if (this.now() - this.resetAt >= this.resetPeriodMs) this.reset();
    const { group, version } = groupVersionOf(apiVersion);
    let fetched = false;
    const lookup = async () => {
      let doc = this.cache.get(apiVersion);
      if (!doc) {
        fetched = true;
        doc = this.discover(group, version, apiVersion);
        this.cache.set(apiVersion, doc);
        // A failed request is not an answer to keep.
        doc.catch(() => this.cache.delete(apiVersion));
      }
      return (await doc)?.resources?.find((r) => r.kind === kind && !r.name.includes('/'));
    };
    let found = await lookup();
    if (!found && !fetched) {
      this.reset();
      found = await lookup();
    }
    if (!found) throw new Error(`no matches for kind "${kind}" in group "${group}"`);
    return { group, version, plural: found.name, kind, namespaced: found.namespaced ?? true };
  }

  /** The group version's APIResourceList; undefined when the server does not serve it. */
  private async discover(group: string, version: string, apiVersion: string): Promise<APIResourceList | undefined> {
    const path = group ? `/apis/${group}/${version}` : `/api/${version}`;
    try {
      return await this.client.request<APIResourceList>('GET', path, { what: `discovering ${apiVersion}` });
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }
}
