import type { KObject } from '../types.js';
import { appendErrors, goErr, goQuote, multiAppend, Validation, type Err } from './istio-errors.js';
import { hostMatches, isIPAddress, num, objects, strings, validateExportTo, validateIPSubnet, validateLabels, validatePort, validateWildcardDomain } from './istio-common.js';
import { isJwtClaim } from './istio-headers.js';
import { validateHTTPRoute } from './istio-httproute.js';
import { validateGatewayNames, validateRouteDestinations } from './istio-routes.js';
import { isObject, obj, str, type JsonObject } from './json.js';

// ValidateVirtualService (pkg/config/validation/validation.go, Istio 1.26): hosts and gateways,
// then each HTTP (istio-httproute.ts), TLS and TCP route.

const MESH_GATEWAY = 'mesh';

/** host.Name.SubsetOf. */
function subsetOf(a: string, b: string): boolean {
  if (b.startsWith('*')) return a.startsWith('*') ? a.slice(1).endsWith(b.slice(1)) : a.endsWith(b.slice(1));
  return !a.startsWith('*') && a === b;
}

function validateTLSRoute(route: JsonObject | null, hosts: string[]): Validation {
  const v = new Validation();
  if (!route) return v;
  const matches = objects(route.match);
  if (matches.length === 0) v.error('TLS route must have at least one match condition');
  for (const m of matches) {
    if (!m) {
      v.error('TLS match may not be null');
      continue;
    }
    const sniHosts = strings(m.sniHosts);
    if (sniHosts.length === 0) v.error('TLS match must have at least one SNI host');
    for (const sni of sniHosts) {
      const err = validateWildcardDomain(sni);
      if (err) {
        if (isIPAddress(sni)) v.warn(`using an IP address (${goQuote(sni)}) goes against SNI spec and most clients do not support this`);
        else v.add(err);
      } else if (!hosts.some((h) => subsetOf(sni, h))) {
        v.error(`SNI host ${goQuote(sni)} is not a compatible subset of any of the virtual service hosts: [${hosts.join(', ')}]`);
      }
    }
    for (const s of strings(m.destinationSubnets)) v.add(validateIPSubnet(s));
    if (num(m.port) !== 0) v.add(validatePort(num(m.port)));
    v.add(validateLabels(m.sourceLabels), validateGatewayNames(strings(m.gateways)));
  }
  if (!Array.isArray(route.route) || route.route.length === 0) v.error('TLS route is required');
  return v.add(validateRouteDestinations(route.route, false));
}

function validateTCPRoute(route: JsonObject | null): Err {
  if (!route) return undefined;
  let errs: Err;
  for (const m of objects(route.match)) {
    if (!m) {
      errs = multiAppend(errs, goErr('tcp match may not be nil'));
      continue;
    }
    let me: Err;
    for (const s of strings(m.destinationSubnets)) me = appendErrors(me, validateIPSubnet(s));
    if (num(m.port) !== 0) me = appendErrors(me, validatePort(num(m.port)));
    me = appendErrors(me, validateLabels(m.sourceLabels), validateGatewayNames(strings(m.gateways)));
    errs = appendErrors(errs, me);
  }
  if (!Array.isArray(route.route) || route.route.length === 0) errs = appendErrors(errs, goErr('TCP route is required'));
  return appendErrors(errs, validateRouteDestinations(route.route, false));
}

/** JSON with sorted keys, a match's name left out: equal text, equal traffic match. */
function matchKey(m: unknown): string {
  const canon = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canon);
    if (!isObject(v)) return v;
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon(v[k])]));
  };
  const { name: _name, ...rest } = obj(m);
  return JSON.stringify(canon(rest));
}

/**
 * analyzeUnreachableHTTPRules/TCPRules/TLSRules: rules after a catch-all, and matches a prior
 * rule already takes, as warnings (the overlapping-prefix half is not done here).
 */
function warnUnreachable(v: Validation, rules: unknown[], named: boolean): void {
  const seen = new Map<string, number>();
  let catchAll = -1;
  const ruleName = (r: unknown, n: number) => (named && str(obj(r).name) ? goQuote(str(obj(r).name)) : `#${n}`);
  rules.forEach((rule, n) => {
    if (!isObject(rule)) return;
    const matches = Array.isArray(rule.match) ? rule.match : [];
    if (matches.length === 0) {
      if (catchAll >= 0) v.warn(`virtualService rule ${ruleName(rule, n)} not used (only the last rule can have no matches)`);
      catchAll = n;
      return;
    }
    let dups = 0;
    matches.forEach((m, mn) => {
      const key = matchKey(m);
      const prior = seen.get(key);
      if (prior === undefined) {
        seen.set(key, n);
        return;
      }
      const matchName = named && str(obj(m).name) ? goQuote(str(obj(m).name)) : `#${mn}`;
      v.warn(`virtualService rule ${ruleName(rule, n)} match ${matchName} is not used (duplicate/overlapping match in rule ${ruleName(rules[prior], prior)})`);
      dups++;
    });
    if (dups === matches.length) v.warn(`virtualService rule ${ruleName(rule, n)} not used (all matches used by prior rules)`);
  });
}

export function validateVirtualService(vs: KObject): Validation {
  const spec = obj(vs.spec);
  const v = new Validation();
  const hosts = strings(spec.hosts);
  const gateways = strings(spec.gateways);
  const http = Array.isArray(spec.http) ? spec.http : [];
  const tls = objects(spec.tls);
  const tcp = objects(spec.tcp);
  if (hosts.length === 0) {
    if (gateways.length !== 0) v.error('delegate virtual service must have no gateways specified');
    if (tls.length !== 0) v.error('delegate virtual service must have no tls route specified');
    if (tcp.length !== 0) v.error('delegate virtual service must have no tcp route specified');
  }
  let toMesh = true;
  let toGateway = false;
  if (gateways.length > 0) {
    v.add(validateGatewayNames(gateways));
    toGateway = !gateways.includes(MESH_GATEWAY);
    toMesh = !toGateway;
  }
  if (!toGateway) {
    for (const route of http) {
      for (const m of objects(obj(route).match)) {
        for (const key of [...Object.keys(obj(m?.headers)), ...Object.keys(obj(m?.withoutHeaders))]) {
          if (isJwtClaim(key)) v.error(`JWT claim based routing (key: ${key}) is only supported for gateway, found no gateways: [${gateways.join(' ')}]`);
        }
      }
    }
  }
  let allHostsValid = true;
  for (const h of hosts) {
    const err = validateWildcardDomain(h);
    if (err) {
      if (!isIPAddress(h)) {
        v.add(err);
        allHostsValid = false;
      }
    } else if (toMesh && h === '*') {
      v.error('wildcard host * is not allowed for virtual services bound to the mesh gateway');
      allHostsValid = false;
    }
  }
  if (allHostsValid) {
    for (let i = 0; i < hosts.length; i++) {
      for (let j = i + 1; j < hosts.length; j++) {
        if (hostMatches(hosts[i]!, hosts[j]!)) v.error(`duplicate hosts in virtual service: ${hosts[i]} & ${hosts[j]}`);
      }
    }
  }
  if (http.length === 0 && tcp.length === 0 && tls.length === 0) v.error('http, tcp or tls must be provided in virtual service');
  for (const route of http) {
    if (!isObject(route)) v.error('http route may not be null');
    else v.add(validateHTTPRoute(route, hosts.length === 0));
  }
  for (const route of tls) v.add(validateTLSRoute(route, hosts));
  for (const route of tcp) v.add(validateTCPRoute(route));
  v.add(validateExportTo(vs.metadata.namespace ?? '', strings(spec.exportTo), false, false));
  warnUnreachable(v, http, true);
  warnUnreachable(v, tcp, false);
  warnUnreachable(v, tls, false);
  return v;
}
