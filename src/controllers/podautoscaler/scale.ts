import type { KObject } from '../../api/types.js';
import { groupVersionOf } from '../../api/types.js';
import { ApiError, isNotFound, type ApiClient, type Resource } from '../../client/client.js';

// The scale client of client-go/scale with the REST mapping it needs: the target's kind is
// looked up in discovery, then its `scale` subresource is read and written, so any kind that
// has one (Deployments, ReplicaSets, StatefulSets, custom resources) can be autoscaled.

export interface Scale {
  resource: Resource;
  /** The autoscaling/v1 Scale as served. */
  object: KObject;
  specReplicas: number;
  statusReplicas: number;
  selector: string;
}

export interface ScaleTargetRef {
  apiVersion?: string;
  kind: string;
  name: string;
}

export interface ScaleClient {
  get(namespace: string, ref: ScaleTargetRef): Promise<Scale>;
  /** Writes spec.replicas through the subresource; rejects on a conflict as the API does. */
  update(namespace: string, scale: Scale, replicas: number): Promise<void>;
}

interface APIResourceList {
  resources?: { name: string; kind: string; namespaced?: boolean }[];
}

/** The API server's Status message, as client-go's errors print. */
export function apiMessage(e: unknown): string {
  return e instanceof ApiError ? (e.body.message ?? e.message) : (e as Error).message;
}

function toScale(resource: Resource, object: KObject): Scale {
  const spec = (object.spec ?? {}) as { replicas?: number };
  const status = (object.status ?? {}) as { replicas?: number; selector?: string };
  return { resource, object, specReplicas: spec.replicas ?? 0, statusReplicas: status.replicas ?? 0, selector: status.selector ?? '' };
}

export class RestScaleClient implements ScaleClient {
  constructor(private readonly client: Pick<ApiClient, 'request'>) {}

  /** RESTMapping: the resource of kind in the ref's group/version, from discovery. */
  private async mapping(ref: ScaleTargetRef): Promise<Resource> {
    const { group, version } = groupVersionOf(ref.apiVersion ?? '');
    const path = group ? `/apis/${group}/${version}` : `/api/${version}`;
    let list: APIResourceList | undefined;
    try {
      list = await this.client.request<APIResourceList>('GET', path, { what: `discovering ${ref.apiVersion}` });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    const found = list?.resources?.find((r) => r.kind === ref.kind && !r.name.includes('/'));
    if (!found) throw new Error(`no matches for kind "${ref.kind}" in group "${group}"`);
    return { group, version, plural: found.name, kind: ref.kind, namespaced: found.namespaced ?? true };
  }

  private path(resource: Resource, namespace: string, name: string): string {
    const root = resource.group ? `/apis/${resource.group}/${resource.version}` : `/api/${resource.version}`;
    return `${root}/namespaces/${encodeURIComponent(namespace)}/${resource.plural}/${encodeURIComponent(name)}/scale`;
  }

  async get(namespace: string, ref: ScaleTargetRef): Promise<Scale> {
    const resource = await this.mapping(ref);
    const object = await this.client.request<KObject>('GET', this.path(resource, namespace, ref.name), { what: `getting the scale of ${ref.kind} ${namespace}/${ref.name}` });
    return toScale(resource, object);
  }

  async update(namespace: string, scale: Scale, replicas: number): Promise<void> {
    const body = { ...scale.object, spec: { ...(scale.object.spec as object), replicas } };
    const name = scale.object.metadata.name as string;
    await this.client.request('PUT', this.path(scale.resource, namespace, name), { body, what: `updating the scale of ${scale.resource.kind} ${namespace}/${name}` });
  }
}
