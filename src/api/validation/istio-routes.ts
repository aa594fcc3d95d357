import { appendErrors, goErr, goQuote, multiAppend, Validation, type Err } from './istio-errors.js';
import { isIstioDNSLabel, num, objects, validateFQDN, validatePort, validateSubsetName, validateWildcardDomain } from './istio-common.js';
import { headerOperations } from './istio-headers.js';
import { validateStringRegexp } from './istio-regex.js';
import { isObject, str } from './json.js';

// What HTTP, TLS and TCP routes share in Istio's validation: string matches, gateway names and
// destinations with their weights.

export function validateStringMatch(sm: unknown, where: string): Err {
  if (!isObject(sm)) return undefined;
  if ('prefix' in sm && str(sm.prefix) === '') return goErr(`${goQuote(where)}: prefix string match should not be empty`);
  return validateStringMatchRegexp(sm, where);
}

export function validateStringMatchRegexp(sm: unknown, where: string): Err {
  if (!isObject(sm) || !('regex' in sm)) return undefined;
  const re = str(sm.regex);
  if (re === '') return goErr(`${goQuote(where)}: regex string match should not be empty`);
  return validateStringRegexp(re, where);
}

export function validateGatewayNames(names: string[]): Validation {
  const v = new Validation();
  for (const name of names) {
    const slash = name.indexOf('/');
    if (slash < 0) {
      if (name.includes('.')) {
        const parts = name.split('.');
        v.warn(`using legacy gatewayName format ${goQuote(name)}; prefer the <namespace>/<name> format: ${goQuote(`${parts[1]}/${parts[0]}`)}`);
      }
      return v.add(validateFQDN(name));
    }
    const ns = name.slice(0, slash);
    const gw = name.slice(slash + 1);
    if (ns === '' || gw === '') v.error('config namespace and gateway name cannot be empty');
    if (!isIstioDNSLabel(ns)) v.error(`invalid value for namespace: ${goQuote(ns)}`);
    if (!isIstioDNSLabel(gw)) v.error(`invalid value for gateway name: ${goQuote(gw)}`);
  }
  return v;
}

export function validateDestination(d: unknown): Err {
  if (!isObject(d)) return undefined;
  const host = str(d.host);
  let errs = appendErrors(undefined, host === '*' ? goErr(`invalid destination host ${host}`) : validateWildcardDomain(host));
  if (str(d.subset)) errs = appendErrors(errs, validateSubsetName(str(d.subset)));
  if (isObject(d.port)) errs = appendErrors(errs, validatePort(num(d.port.number)));
  return errs;
}

export function validateRouteDestinations(routes: unknown, http: boolean): Err {
  let errs: Err;
  let total = 0;
  const list = objects(routes);
  for (const r of list) {
    if (!r) {
      errs = multiAppend(errs, goErr('weight may not be nil'));
      continue;
    }
    if (!isObject(r.destination)) errs = multiAppend(errs, goErr('destination is required'));
    if (http) errs = appendErrors(errs, ...headerOperations(r.headers));
    errs = appendErrors(errs, validateDestination(r.destination));
    const weight = num(r.weight);
    if (weight < 0) errs = appendErrors(errs, goErr(`weight ${weight} < 0`));
    total += weight;
  }
  if (list.length > 1 && total === 0) errs = appendErrors(errs, goErr('total destination weight = 0'));
  return errs;
}
