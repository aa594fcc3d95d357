import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IServiceSpec } from 'kubernetes-models/v1/ServiceSpec';
import type { KObject } from '../../api/types.js';
import { expand, mappingFor } from './expansion.js';
import { fieldPathValue, resourceFieldValue, type NodeAllocatable } from './fieldpath.js';
import type { TokenRequestResult, TokenRequestSpec } from './token-manager.js';

// The environment of a container, as upstream makeEnvironmentVariables: envFrom, then env in
// order with $(VAR) expansion against what came before and the service variables, then the
// service variables not already set.

/** Reads ConfigMaps and Secrets of the pod's namespace; undefined when not found. */
export interface ObjectSource {
  configMap(namespace: string, name: string): Promise<KObject | undefined>;
  secret(namespace: string, name: string): Promise<KObject | undefined>;
  /** A token from the TokenRequest API (through the kubelet's token cache), for projected volumes. */
  serviceAccountToken?(namespace: string, serviceAccount: string, spec: TokenRequestSpec): Promise<TokenRequestResult>;
}

/** A failure that keeps the container from being created (CreateContainerConfigError). */
export class ContainerConfigError extends Error {}

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

function decodeSecret(v: string): string {
  return Buffer.from(v, 'base64').toString('utf8');
}

function configMapData(cm: KObject): Record<string, string> {
  const out: Record<string, string> = { ...((cm.data as Record<string, string>) ?? {}) };
  return out;
}

function secretData(s: KObject): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((s.data as Record<string, string>) ?? {})) out[k] = decodeSecret(v);
  for (const [k, v] of Object.entries((s.stringData as Record<string, string>) ?? {})) out[k] = v;
  return out;
}

export async function makeEnvironment(o: {
  pod: KObject;
  container: IContainer;
  source: ObjectSource;
  serviceEnv: Record<string, string>;
  alloc: NodeAllocatable;
}): Promise<Map<string, string>> {
  const { pod, container, source } = o;
  const ns = pod.metadata.namespace ?? 'default';
  const env = new Map<string, string>();
  const cmCache = new Map<string, KObject | undefined>();
  const secCache = new Map<string, KObject | undefined>();
  const getCM = async (name: string) => {
    if (!cmCache.has(name)) cmCache.set(name, await source.configMap(ns, name));
    return cmCache.get(name);
  };
  const getSecret = async (name: string) => {
    if (!secCache.has(name)) secCache.set(name, await source.secret(ns, name));
    return secCache.get(name);
  };

  for (const from of container.envFrom ?? []) {
    let data: Record<string, string> | undefined;
    if (from.configMapRef) {
      const cm = await getCM(from.configMapRef.name ?? '');
      if (!cm) {
        if (from.configMapRef.optional) continue;
        throw new ContainerConfigError(`configmap "${from.configMapRef.name}" not found`);
      }
      data = configMapData(cm);
    } else if (from.secretRef) {
      const s = await getSecret(from.secretRef.name ?? '');
      if (!s) {
        if (from.secretRef.optional) continue;
        throw new ContainerConfigError(`secret "${from.secretRef.name}" not found`);
      }
      data = secretData(s);
    }
    for (const [k, v] of Object.entries(data ?? {})) {
      const name = (from.prefix ?? '') + k;
      // Invalid names are skipped, as upstream (which also records an event).
      if (ENV_NAME.test(name)) env.set(name, v);
    }
  }

  const mapping = mappingFor(env, o.serviceEnv);
  for (const e of container.env ?? []) {
    let value = '';
    const vf = e.valueFrom;
    if (e.value !== undefined && e.value !== '') {
      value = expand(e.value, mapping);
    } else if (vf?.fieldRef) {
      const v = fieldPathValue(pod, vf.fieldRef.fieldPath);
      if (v instanceof Error) throw new ContainerConfigError(v.message);
      value = v;
    } else if (vf?.resourceFieldRef) {
      const spec = (pod.spec ?? {}) as Partial<IPodSpec>;
      const target = vf.resourceFieldRef.containerName
        ? [...(spec.containers ?? []), ...(spec.initContainers ?? [])].find((c) => c.name === vf.resourceFieldRef!.containerName)
        : container;
      const v = resourceFieldValue(target, vf.resourceFieldRef, o.alloc);
      if (v instanceof Error) throw new ContainerConfigError(v.message);
      value = v;
    } else if (vf?.configMapKeyRef) {
      const ref = vf.configMapKeyRef;
      const cm = await getCM(ref.name ?? '');
      if (!cm) {
        if (ref.optional) continue;
        throw new ContainerConfigError(`configmap "${ref.name}" not found`);
      }
      const data = configMapData(cm);
      if (!(ref.key in data)) {
        if (ref.optional) continue;
        throw new ContainerConfigError(`couldn't find key ${ref.key} in ConfigMap ${ns}/${ref.name}`);
      }
      value = data[ref.key];
    } else if (vf?.secretKeyRef) {
      const ref = vf.secretKeyRef;
      const s = await getSecret(ref.name ?? '');
      if (!s) {
        if (ref.optional) continue;
        throw new ContainerConfigError(`secret "${ref.name}" not found`);
      }
      const data = secretData(s);
      if (!(ref.key in data)) {
        if (ref.optional) continue;
        throw new ContainerConfigError(`couldn't find key ${ref.key} in Secret ${ns}/${ref.name}`);
      }
      value = data[ref.key];
    }
    env.set(e.name, value);
  }

  for (const [k, v] of Object.entries(o.serviceEnv)) if (!env.has(k)) env.set(k, v);
  return env;
}

/** Command and args with $(VAR) expanded against the container's final environment. */
export function expandCommandAndArgs(container: IContainer, env: Map<string, string>): { command?: string[]; args?: string[] } {
  const m = mappingFor(env);
  return {
    command: container.command?.map((s) => expand(s, m)),
    args: container.args?.map((s) => expand(s, m)),
  };
}

function envName(s: string): string {
  return s.toUpperCase().replace(/-/g, '_');
}

/** Docker-links style variables for one Service, as upstream envvars.FromServices. */
function serviceVars(svc: KObject & { spec?: IServiceSpec }, out: Record<string, string>): void {
  const ip = svc.spec?.clusterIP;
  if (!ip || ip === 'None') return;
  const ports = svc.spec?.ports ?? [];
  if (!ports.length) return;
  const name = envName(svc.metadata.name ?? '');
  out[`${name}_SERVICE_HOST`] = ip;
  out[`${name}_SERVICE_PORT`] = String(ports[0].port);
  for (const p of ports) if (p.name) out[`${name}_SERVICE_PORT_${envName(p.name)}`] = String(p.port);
  const first = ports[0];
  const proto = (first.protocol ?? 'TCP').toLowerCase();
  out[`${name}_PORT`] = `${proto}://${ip}:${first.port}`;
  for (const p of ports) {
    const pr = p.protocol ?? 'TCP';
    const prefix = `${name}_PORT_${p.port}_${pr.toUpperCase()}`;
    out[prefix] = `${pr.toLowerCase()}://${ip}:${p.port}`;
    out[`${prefix}_PROTO`] = pr.toLowerCase();
    out[`${prefix}_PORT`] = String(p.port);
    out[`${prefix}_ADDR`] = ip;
  }
}

/**
 * Service variables for a pod: the Services of its namespace when enableServiceLinks is on,
 * and always the `kubernetes` Service of `default` (in-cluster clients rely on it).
 */
export function serviceEnvironment(namespace: string, enableServiceLinks: boolean, services: (KObject & { spec?: IServiceSpec })[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const svc of services) {
    const ns = svc.metadata.namespace;
    const isMaster = ns === 'default' && svc.metadata.name === 'kubernetes';
    if (isMaster || (enableServiceLinks && ns === namespace)) serviceVars(svc, out);
  }
  return out;
}
