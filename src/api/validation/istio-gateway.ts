import type { KObject } from '../types.js';
import { appendErrors, goErr, goQuote, Validation, type Err } from './istio-errors.js';
import {
  isHTTPProtocol, isIPAddress, isIstioDNSLabel, isTLSProtocol, num, objects, parseProtocol, strings,
  validateIPAddress, validatePartialWildcard, validatePort, validateWildcardDomain,
} from './istio-common.js';
import { isObject, obj, str, type JsonObject } from './json.js';

// ValidateGateway (pkg/config/validation/validation.go, Istio 1.26): servers, their hosts, ports and TLS.

const UNIX_PREFIX = 'unix://';

/** validateSidecarOrGatewayHostnamePart for a gateway: FQDN or IP, wildcard only as a prefix. */
function validateGatewayHostnamePart(hostname: string): Err {
  let errs: Err;
  if (hostname !== '*' && !hostname.includes('.')) errs = appendErrors(errs, goErr('short names (non FQDN) are not allowed'));
  const err = validateWildcardDomain(hostname);
  if (err && !isIPAddress(hostname)) errs = appendErrors(errs, err);
  return appendErrors(errs, validatePartialWildcard(hostname));
}

/** ValidateNamespaceSlashWildcardHostname with isGateway. */
export function validateGatewayHost(hostname: string): Err {
  const slash = hostname.indexOf('/');
  if (slash < 0) return validateGatewayHostnamePart(hostname);
  const ns = hostname.slice(0, slash);
  const dns = hostname.slice(slash + 1);
  let errs: Err;
  if (ns === '' || dns === '') errs = appendErrors(errs, goErr('config namespace and dnsName in host entry cannot be empty'));
  if (ns !== '*' && ns !== '.' && !isIstioDNSLabel(ns)) errs = appendErrors(errs, goErr(`invalid namespace value ${goQuote(ns)} in gateway`));
  return appendErrors(errs, validateGatewayHostnamePart(dns));
}

/** The proto text form Istio prints a Port with (%v). */
function portText(port: JsonObject): string {
  const parts: string[] = [];
  if (num(port.number)) parts.push(`number:${num(port.number)}`);
  if (str(port.protocol)) parts.push(`protocol:${goQuote(str(port.protocol))}`);
  if (str(port.name)) parts.push(`name:${goQuote(str(port.name))}`);
  if (num(port.targetPort)) parts.push(`target_port:${num(port.targetPort)}`);
  return parts.join(' ');
}

function validateServerPort(port: unknown, bind: string): Validation {
  const v = new Validation();
  if (!isObject(port)) return v.error('port is required');
  if (parseProtocol(str(port.protocol)) === 'UnsupportedProtocol') {
    v.error(`invalid protocol ${goQuote(str(port.protocol))}, supported protocols are HTTP, HTTP2, GRPC, GRPC-WEB, MONGO, REDIS, MYSQL, TCP`);
  }
  if (num(port.number) > 0 || !bind.startsWith(UNIX_PREFIX)) v.add(validatePort(num(port.number)));
  if (num(port.targetPort) > 0) v.error('targetPort has no impact on Gateways');
  if (!str(port.name)) v.error(`port name must be set: ${portText(port)}`);
  return v;
}

function validateServerBind(port: unknown, bind: string): Err {
  if (bind.startsWith(UNIX_PREFIX)) {
    const addr = bind.slice(UNIX_PREFIX.length);
    let errs: Err;
    if (addr === '') errs = appendErrors(errs, goErr('unix address must not be empty'));
    else if (!addr.startsWith('@') && (!addr.startsWith('/') || addr.endsWith('/'))) errs = appendErrors(errs, goErr(`${addr} is not an absolute path to a file`));
    if (isObject(port) && num(port.number) !== 0) errs = appendErrors(errs, goErr(`port number must be 0 for unix domain socket: ${portText(port)}`));
    return errs;
  }
  return bind ? validateIPAddress(bind) : undefined;
}

function validateTLSOptions(tls: unknown): Validation {
  const v = new Validation();
  if (!isObject(tls)) return v;
  const mode = str(tls.mode) || 'PASSTHROUGH';
  const has = (k: string) => str(tls[k]) !== '';
  if (mode === 'ISTIO_MUTUAL') {
    if (has('serverCertificate')) v.error('ISTIO_MUTUAL TLS cannot have associated server certificate');
    if (has('privateKey')) v.error('ISTIO_MUTUAL TLS cannot have associated private key');
    if (has('caCertificates')) v.error('ISTIO_MUTUAL TLS cannot have associated CA bundle');
    if (has('credentialName')) v.error('ISTIO_MUTUAL TLS cannot have associated credentialName');
    return v;
  }
  if ((mode === 'PASSTHROUGH' || mode === 'AUTO_PASSTHROUGH') && (has('caCrl') || has('serverCertificate') || has('privateKey') || has('caCertificates') || has('credentialName'))) {
    v.warn(`${mode} mode does not use certificates, they will be ignored`);
  }
  const terminating = mode === 'SIMPLE' || mode === 'MUTUAL' || mode === 'OPTIONAL_MUTUAL';
  // With credentialName the certificates come from the Secret.
  if (terminating && has('credentialName')) return v;
  if (terminating) {
    const prefix = mode === 'SIMPLE' ? 'SIMPLE TLS' : 'MUTUAL TLS';
    if (!has('serverCertificate')) v.error(`${prefix} requires a server certificate`);
    if (!has('privateKey')) v.error(`${prefix} requires a private key`);
    if (mode !== 'SIMPLE' && !has('caCertificates')) v.error(`${prefix} requires a client CA bundle`);
  }
  if (has('caCrl')) {
    if (has('credentialName')) v.error('CRL is not supported with credentialName. CRL has to be specified in the credential');
    if (mode === 'SIMPLE') v.error('CRL is not supported with SIMPLE TLS');
  }
  return v;
}

function validateServer(server: JsonObject): Validation {
  const v = new Validation();
  const hosts = strings(server.hosts);
  if (hosts.length === 0) v.error('server config must contain at least one host');
  for (const h of hosts) v.add(validateGatewayHost(h));
  const bind = str(server.bind);
  const portErr = validateServerPort(server.port, bind);
  v.add(portErr, validateServerBind(server.port, bind), validateTLSOptions(server.tls));
  if (!portErr.err) {
    const p = parseProtocol(str(obj(server.port).protocol));
    const tls = isObject(server.tls) ? server.tls : undefined;
    if (isTLSProtocol(p) && !tls) {
      v.error('server must have TLS settings for HTTPS/TLS protocols');
    } else if (!isTLSProtocol(p) && tls) {
      if (isHTTPProtocol(p)) {
        const passthrough = !str(tls.mode) || tls.mode === 'PASSTHROUGH' || tls.mode === 'AUTO_PASSTHROUGH';
        if (!passthrough || str(tls.caCertificates) || str(tls.privateKey) || str(tls.serverCertificate)) v.error('server cannot have TLS settings for plain text HTTP ports');
      } else {
        v.error('server cannot have TLS settings for non HTTPS/TLS ports');
      }
    }
  }
  return v;
}

export function validateGateway(gw: KObject): Validation {
  const v = new Validation();
  const name = gw.metadata.name ?? '';
  if (!isIstioDNSLabel(name)) v.error(`invalid gateway name: ${goQuote(name)}`);
  const servers = objects(obj(gw.spec).servers);
  if (servers.length === 0) v.error('gateway must have at least one server');
  for (const s of servers) v.add(s ? validateServer(s) : goErr('cannot have nil server'));
  const portNames = new Set<string>();
  for (const s of servers) {
    if (!s) {
      v.error('server may not be nil');
      continue;
    }
    if (!isObject(s.port)) continue;
    const portName = str(s.port.name);
    if (portNames.has(portName)) v.error(`port names in servers must be unique: duplicate name ${portName}`);
    portNames.add(portName);
    if (!isHTTPProtocol(parseProtocol(str(s.port.protocol))) && obj(s.tls).httpsRedirect === true) v.warn('tls.httpsRedirect should only be used with http servers');
  }
  return v;
}
