import type { KObject } from '../../../../src/api/types.js';
import { buildRouteTable, findLocation, findServer, type RouteTable } from '../../../../src/addons/ingress/routes.js';
import { parseRequestTarget } from '../../../../src/addons/ingress/paths.js';

export const IDENTITY = { ingressClass: 'nginx', controllerClass: 'k8s.io/ingress-nginx' };

export const NGINX_CLASS: KObject = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'IngressClass',
  metadata: { name: 'nginx', annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } },
  spec: { controller: 'k8s.io/ingress-nginx' },
};

export interface PathSpec {
  path: string;
  type?: 'Exact' | 'Prefix' | 'ImplementationSpecific';
  service: string;
  port?: number;
}

let clock = 0;

export function ingress(
  name: string,
  rules: { host?: string; paths: PathSpec[] }[],
  opts: { annotations?: Record<string, string>; namespace?: string; className?: string; defaultBackend?: string; tls?: { hosts: string[]; secretName: string }[] } = {},
): KObject {
  clock++;
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name,
      namespace: opts.namespace ?? 'default',
      annotations: opts.annotations,
      creationTimestamp: `2024-01-01T00:00:${String(clock).padStart(2, '0')}Z`,
    },
    spec: {
      ingressClassName: opts.className,
      defaultBackend: opts.defaultBackend ? { service: { name: opts.defaultBackend, port: { number: 80 } } } : undefined,
      tls: opts.tls,
      rules: rules.map((r) => ({
        host: r.host,
        http: {
          paths: r.paths.map((p) => ({
            path: p.path,
            pathType: p.type ?? 'Prefix',
            backend: { service: { name: p.service, port: { number: p.port ?? 80 } } },
          })),
        },
      })),
    },
  };
}

export function service(name: string, ports: { name?: string; port: number }[] = [{ port: 80 }], namespace = 'default'): KObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { ports: ports.map((p) => ({ ...p, protocol: 'TCP' })) } };
}

export function slice(serviceName: string, addresses: string[], port = 8080, opts: { portName?: string; ready?: boolean; namespace?: string } = {}): KObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${serviceName}-abc`, namespace: opts.namespace ?? 'default', labels: { 'kubernetes.io/service-name': serviceName } },
    addressType: 'IPv4',
    ports: [{ name: opts.portName ?? '', port, protocol: 'TCP' }],
    endpoints: addresses.map((a) => ({ addresses: [a], conditions: { ready: opts.ready ?? true } })),
  };
}

export function table(ingresses: KObject[], extra: { services?: KObject[]; slices?: KObject[]; classes?: KObject[] } = {}): RouteTable {
  const names = new Set<string>();
  for (const ing of ingresses) {
    const spec = ing.spec as { rules?: { http?: { paths: { backend: { service: { name: string } } }[] } }[] };
    for (const r of spec.rules ?? []) for (const p of r.http?.paths ?? []) names.add(p.backend.service.name);
  }
  const services = extra.services ?? [...names].map((n) => service(n));
  return buildRouteTable({ ingresses, ingressClasses: extra.classes ?? [NGINX_CLASS], services, endpointSlices: extra.slices ?? [], identity: IDENTITY });
}

/** Where a request lands: the Service name, `404`, or `301 <path>` for nginx's slash redirect. */
export function route(t: RouteTable, host: string | undefined, url: string, followSlash = false): string {
  const target = parseRequestTarget(url);
  if (!target) return '400';
  const m = findLocation(findServer(t, host), target.path);
  if (m.kind === 'slash-redirect') return followSlash ? route(t, host, m.path) : `301 ${m.path}`;
  if (m.kind === 'none' || !m.location.upstream) return '404';
  return m.location.upstream.service;
}
