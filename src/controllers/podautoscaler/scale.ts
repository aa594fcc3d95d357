import type { KObject } from '../../api/types.js';
import { ApiError, type ApiClient, type Resource } from '../../client/client.js';
import { DeferredDiscoveryRESTMapper } from '../../client/restmapper.js';

// The scale client of client-go/scale with the REST mapping it needs: the target's kind is
// mapped to its resource through cached discovery, then its `scale` subresource is read and
// written, so any kind that has one (Deployments, ReplicaSets, StatefulSets, custom resources)
// can be autoscaled.

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
  constructor(
    private readonly client: Pick<ApiClient, 'request'>,
    private readonly mapper = new DeferredDiscoveryRESTMapper(client),
  ) {}

  private mapping(ref: ScaleTargetRef): Promise<Resource> {
    return this.mapper.resourceFor(ref.apiVersion ?? '', ref.kind);
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
