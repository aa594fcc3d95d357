import type { Printer } from '../types.js';
import { translateTimestampSince } from './age.js';
import { AGE_COLUMN, NAME_COLUMN, column } from './columns.js';
import { asArray, asObject, asString } from './format.js';
import { loadBalancerAddresses } from './service.js';

// printIngress and printIngressClass from kubernetes pkg/printers/internalversion/printers.go.

const MAX_HOSTS = 3;

/** formatHosts: up to three rule hosts, `*` when no rule names one. */
export function formatHosts(rules: unknown): string {
  const all = asArray<{ host?: string }>(rules);
  const list: string[] = [];
  let more = false;
  for (const rule of all) {
    if (list.length === MAX_HOSTS) more = true;
    if (!more && asString(rule.host) !== '') list.push(asString(rule.host));
  }
  if (list.length === 0) return '*';
  const ret = list.join(',');
  return more ? `${ret} + ${all.length - MAX_HOSTS} more...` : ret;
}

export const ingressPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Class', 'string', 'The name of the IngressClass resource that should be used for additional configuration'),
    column('Hosts', 'string', 'Hosts that incoming requests are matched against before the ingress rule'),
    column('Address', 'string', 'Address is a list containing ingress points for the load-balancer'),
    column('Ports', 'string', 'Ports of TLS configurations that open'),
    AGE_COLUMN,
  ],
  cells(ing, now) {
    const spec = asObject(ing.spec);
    const className = typeof spec.ingressClassName === 'string' ? spec.ingressClassName : '<none>';
    return [
      ing.metadata.name ?? '',
      className,
      formatHosts(spec.rules),
      loadBalancerAddresses(ing.status),
      asArray(spec.tls).length !== 0 ? '80, 443' : '80',
      translateTimestampSince(ing.metadata.creationTimestamp, now),
    ];
  },
};

export const ingressClassPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Controller', 'string', 'Controller that is responsible for handling this class'),
    column('Parameters', 'string', 'A reference to a resource with additional parameters'),
    AGE_COLUMN,
  ],
  cells(ic, now) {
    const spec = asObject(ic.spec);
    let parameters = '<none>';
    if (spec.parameters !== undefined && spec.parameters !== null) {
      const p = asObject(spec.parameters);
      parameters = asString(p.kind);
      if (typeof p.apiGroup === 'string') parameters += `.${p.apiGroup}`;
      parameters += `/${asString(p.name)}`;
    }
    return [ic.metadata.name ?? '', asString(spec.controller), parameters, translateTimestampSince(ic.metadata.creationTimestamp, now)];
  },
};
