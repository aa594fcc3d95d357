import type { Registry } from '../api/registry.js';
import type { ResourceDef } from '../api/types.js';
import { apiVersionOf } from '../api/types.js';

// Discovery documents: aggregated (apidiscovery.k8s.io v2 and v2beta1) and the legacy forms.
// They depend only on the registry, so each is rendered once.

export const AGGREGATED_V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
export const AGGREGATED_V2BETA1 = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';

interface Sub {
  subresource: string;
  responseKind: { group: string; version: string; kind: string };
  verbs: string[];
}

function subresources(d: ResourceDef, version: string): Sub[] {
  const out: Sub[] = [];
  const self = { group: d.group, version, kind: d.kind };
  if (d.scale) out.push({ subresource: 'scale', responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] });
  if (d.status) out.push({ subresource: 'status', responseKind: self, verbs: ['get', 'patch', 'update'] });
  for (const s of d.subresources ?? []) out.push({ subresource: s.name, responseKind: s.responseKind, verbs: s.verbs });
  return out.sort((a, b) => (a.subresource < b.subresource ? -1 : 1));
}

function aggregatedGroup(reg: Registry, group: string) {
  const g = reg.groups().find((x) => x.group === group)!;
  return {
    metadata: { name: group, creationTimestamp: null },
    versions: g.versions.map((version) => ({
      version,
      resources: g.resources
        .filter((d) => d.versions.includes(version))
        .sort((a, b) => (a.plural < b.plural ? -1 : 1))
        .map((d) => {
          const r: Record<string, unknown> = {
            resource: d.plural,
            responseKind: { group: d.group, version, kind: d.kind },
            scope: d.namespaced ? 'Namespaced' : 'Cluster',
            singularResource: d.singular,
            verbs: d.verbs,
          };
          if (d.shortNames?.length) r.shortNames = d.shortNames;
          if (d.categories?.length) r.categories = d.categories;
          const subs = subresources(d, version);
          if (subs.length) r.subresources = subs;
          return r;
        }),
      freshness: 'Current',
    })),
  };
}

export class Discovery {
  private cache = new Map<string, string>();

  constructor(private reg: Registry) {}

  private memo(key: string, make: () => unknown): string {
    let s = this.cache.get(key);
    if (s === undefined) this.cache.set(key, (s = JSON.stringify(make())));
    return s;
  }

  /** Aggregated discovery for /api (core only) or /apis (every named group). */
  aggregated(core: boolean, apiVersion: 'v2' | 'v2beta1'): string {
    return this.memo(`agg:${core}:${apiVersion}`, () => ({
      kind: 'APIGroupDiscoveryList',
      apiVersion: `apidiscovery.k8s.io/${apiVersion}`,
      metadata: {},
      items: this.reg
        .groups()
        .filter((g) => (g.group === '') === core)
        .map((g) => aggregatedGroup(this.reg, g.group)),
    }));
  }

  apiVersions(serverAddress: string): string {
    return this.memo(`versions:${serverAddress}`, () => ({
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
    }));
  }

  private apiGroup(group: string, versions: string[]) {
    const vs = versions.map((v) => ({ groupVersion: apiVersionOf(group, v), version: v }));
    return { name: group, versions: vs, preferredVersion: vs[0] };
  }

  apiGroupList(): string {
    return this.memo('groups', () => ({
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: this.reg
        .groups()
        .filter((g) => g.group !== '')
        .map((g) => this.apiGroup(g.group, g.versions)),
    }));
  }

  group(name: string): string | undefined {
    const g = this.reg.groups().find((x) => x.group === name && name !== '');
    if (!g) return undefined;
    return this.memo(`group:${name}`, () => ({ kind: 'APIGroup', apiVersion: 'v1', ...this.apiGroup(g.group, g.versions) }));
  }

  resourceList(group: string, version: string): string | undefined {
    const g = this.reg.groups().find((x) => x.group === group);
    if (!g || !g.versions.includes(version)) return undefined;
    return this.memo(`rl:${group}/${version}`, () => {
      const resources: Record<string, unknown>[] = [];
      for (const d of g.resources.filter((r) => r.versions.includes(version))) {
        const r: Record<string, unknown> = { name: d.plural, singularName: d.singular, namespaced: d.namespaced, kind: d.kind, verbs: d.verbs };
        if (d.shortNames?.length) r.shortNames = d.shortNames;
        if (d.categories?.length) r.categories = d.categories;
        resources.push(r);
        for (const s of subresources(d, version)) {
          const sr: Record<string, unknown> = { name: `${d.plural}/${s.subresource}`, singularName: '', namespaced: d.namespaced, kind: s.responseKind.kind, verbs: s.verbs };
          if (s.responseKind.group !== d.group || s.responseKind.version !== version) {
            sr.group = s.responseKind.group;
            sr.version = s.responseKind.version;
          }
          resources.push(sr);
        }
      }
      return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf(group, version), resources };
    });
  }
}
