import { goErr, goQuote, type Err } from './istio-errors.js';
import { headerValueSyntaxError } from './istio-header-value.js';
import { obj, str } from './json.js';
import { strings } from './istio-common.js';

// The header checks of Istio's route validation: names matched on, names and values set, added
// and removed, on requests and responses.

export const HEADER_TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-zA-Z]+$/;
const HEADER_VALUE = /^[^\u0000-\u0008\u000A-\u001F\u007F]*$/;
const PSEUDO_HEADERS = new Set([':method', ':scheme', ':authority', ':path', ':status']);

export const isJwtClaim = (name: string) => name.startsWith('@request.auth.claims.');
const isInternalHeader = (k: string) => k.startsWith(':') || k.toLowerCase() === 'host';
export const isAuthorityHeader = (k: string) => k.toLowerCase() === ':authority' || k.toLowerCase() === 'host';

export function headerNameOrClaim(name: string): Err {
  if (name === '') return goErr('header name cannot be empty');
  if (isJwtClaim(name) || PSEUDO_HEADERS.has(name)) return undefined;
  return HEADER_TOKEN.test(name) ? undefined : goErr(`header name ${name} is not a valid header name`);
}

function headerWithAuthorityOperation(name: string): Err {
  if (name === '') return goErr('header name cannot be empty');
  if (isInternalHeader(name) && !isAuthorityHeader(name)) return goErr(`invalid header ${goQuote(name)}: header cannot have ":" prefix`);
  return undefined;
}

function headerOperation(name: string): Err {
  if (name === '') return goErr('header name cannot be empty');
  if (name.toLowerCase() === 'host') return goErr(`invalid header ${goQuote(name)}: cannot set Host header`);
  if (isInternalHeader(name)) return goErr(`invalid header ${goQuote(name)}: header cannot have ":" prefix`);
  return undefined;
}

function headerValue(value: string): Err {
  if (!HEADER_VALUE.test(value)) return goErr(`header value configuration ${value} is invalid`);
  const syntax = headerValueSyntaxError(value);
  return syntax ? goErr(`header value configuration: ${syntax}`) : undefined;
}

/** The request and response header operations of a route or a destination, in Istio's order. */
export function headerOperations(headers: unknown): Err[] {
  const out: Err[] = [];
  const request = obj(obj(headers).request);
  const response = obj(obj(headers).response);
  for (const [n, v] of Object.entries(obj(request.add))) out.push(headerWithAuthorityOperation(n), headerValue(str(v)));
  for (const [n, v] of Object.entries(obj(request.set))) out.push(headerWithAuthorityOperation(n), headerValue(str(v)));
  for (const n of strings(request.remove)) out.push(headerOperation(n));
  for (const [n, v] of Object.entries(obj(response.add))) out.push(headerOperation(n), headerValue(str(v)));
  for (const [n, v] of Object.entries(obj(response.set))) out.push(headerOperation(n), headerValue(str(v)));
  for (const n of strings(response.remove)) out.push(headerOperation(n));
  return out;
}
