import type { FieldError, KObject } from '../types.js';
import { child, duplicate, forbidden, GoValue, goQuote, index, invalid, key, notFound, notSupported, required } from './field.js';
import { validateLabels } from './labels.js';
import { arr, isObject, isOneOf, jsonEqual, obj, type JsonObject } from './json.js';
import { validateAnnotations, validateNonnegative } from './meta.js';
import {
  inclusiveRangeError, isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isRelaxedEnvVarName, isValidPortName, isValidPortNum,
} from './names.js';
import { parseQuantity, QUANTITY_ERROR, quantityString } from './quantity.js';

// Pod spec rules from pkg/apis/core/validation, for the fields users set in manifests.

export const SUPPORTED_PORT_PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const STANDARD_CONTAINER_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);

export function validatePod(pod: KObject, old?: KObject): FieldError[] {
  const errs = validatePodSpec(pod.spec, 'spec');
  if (old) errs.push(...validatePodSpecUpdate(pod.spec, old.spec));
  return errs;
}

/** ValidatePodTemplateSpec; note that upstream reports template labels at `<path>.labels`. */
export function validatePodTemplateSpec(tpl: unknown, path: string): FieldError[] {
  if (!isObject(tpl)) return [required(path, '')];
  const meta = obj(tpl.metadata);
  const errs = [...validateLabels(meta.labels, child(path, 'labels')), ...validateAnnotations(meta.annotations, child(path, 'annotations'))];
  errs.push(...validatePodSpec(tpl.spec, child(path, 'spec')));
  const spec = obj(tpl.spec);
  if (Array.isArray(spec.ephemeralContainers) && spec.ephemeralContainers.length > 0) {
    errs.push(forbidden(child(path, 'spec', 'ephemeralContainers'), 'ephemeral containers not allowed in pod template'));
  }
  return errs;
}

export function validatePodSpec(specIn: unknown, path: string): FieldError[] {
  const spec = obj(specIn);
  const errs: FieldError[] = [];
  const volumes = validateVolumes(spec.volumes, child(path, 'volumes'), errs);
  const containers = arr(spec.containers);
  const initContainers = arr(spec.initContainers);
  const names = new Set<string>();
  const hostUsers = spec.hostUsers !== false;
  initContainers.forEach((c, i) => errs.push(...validateContainer(c, index(child(path, 'initContainers'), i), names, volumes, true, hostUsers)));
  if (containers.length === 0) errs.push(required(child(path, 'containers'), ''));
  containers.forEach((c, i) => errs.push(...validateContainer(c, index(child(path, 'containers'), i), names, volumes, false, hostUsers)));
  errs.push(...validateHostPorts([...initContainers, ...containers], path, initContainers.length));

  errs.push(...validateEnum(spec.restartPolicy, child(path, 'restartPolicy'), RESTART_POLICIES));
  errs.push(...validateEnum(spec.dnsPolicy, child(path, 'dnsPolicy'), DNS_POLICIES));
  if (spec.dnsPolicy === 'None' && !isObject(spec.dnsConfig)) {
    errs.push(required(child(path, 'dnsConfig'), `must provide \`dnsConfig\` when \`dnsPolicy\` is None`));
  }
  errs.push(...validateLabels(spec.nodeSelector, child(path, 'nodeSelector')));
  errs.push(...validatePodSecurityContext(spec, path));
  if (typeof spec.serviceAccountName === 'string' && spec.serviceAccountName) {
    for (const m of isDNS1123Subdomain(spec.serviceAccountName)) errs.push(invalid(child(path, 'serviceAccountName'), spec.serviceAccountName, m));
  }
  for (const f of ['hostname', 'subdomain']) {
    const v = spec[f];
    if (typeof v === 'string' && v) for (const m of isDNS1123Label(v)) errs.push(invalid(child(path, f), v, m));
  }
  if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds !== null) {
    const v = spec.activeDeadlineSeconds;
    if (typeof v !== 'number' || v < 1 || v > 2147483647) errs.push(invalid(child(path, 'activeDeadlineSeconds'), v, inclusiveRangeError(1, 2147483647)));
  }
  errs.push(...validateTolerations(spec.tolerations, child(path, 'tolerations')));
  return errs;
}

function validateEnum(v: unknown, path: string, allowed: string[]): FieldError[] {
  if (v === undefined || v === null || v === '') return [required(path, '')];
  return isOneOf(v, allowed) ? [] : [notSupported(path, v, allowed)];
}

function validateVolumes(volumes: unknown, path: string, errs: FieldError[]): Set<string> {
  const names = new Set<string>();
  if (!Array.isArray(volumes)) return names;
  volumes.forEach((raw: unknown, i: number) => {
    const p = index(path, i);
    const v = obj(raw);
    const name = typeof v.name === 'string' ? v.name : '';
    if (!name) errs.push(required(child(p, 'name'), ''));
    else for (const m of isDNS1123Label(name)) errs.push(invalid(child(p, 'name'), name, m));
    if (name && names.has(name)) errs.push(duplicate(child(p, 'name'), name));
    names.add(name);
    const sources = Object.keys(v).filter((k) => k !== 'name' && isObject(v[k]));
    if (sources.length > 1) errs.push(forbidden(child(p, sources[1]), 'may not specify more than 1 volume type'));
    else if (sources[0] === 'hostPath') errs.push(...validateHostPathVolumeSource(obj(v.hostPath), child(p, 'hostPath')));
  });
  return names;
}

function validateContainer(c: unknown, path: string, names: Set<string>, volumes: Set<string>, init: boolean, hostUsers: boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (!isObject(c)) return [required(path, '')];
  const name = typeof c.name === 'string' ? c.name : '';
  if (!name) errs.push(required(child(path, 'name'), ''));
  else {
    for (const m of isDNS1123Label(name)) errs.push(invalid(child(path, 'name'), name, m));
    if (names.has(name)) errs.push(duplicate(child(path, 'name'), name));
  }
  names.add(name);
  if (typeof c.image !== 'string' || c.image === '') errs.push(required(child(path, 'image'), ''));
  else if (c.image.trim() !== c.image) errs.push(invalid(child(path, 'image'), c.image, 'must not have leading or trailing whitespace'));

  switch (c.terminationMessagePolicy) {
    case 'File':
    case 'FallbackToLogsOnError':
      break;
    case undefined:
    case null:
    case '':
      errs.push(required(child(path, 'terminationMessagePolicy'), "must be 'File' or 'FallbackToLogsOnError'"));
      break;
    default:
      errs.push(invalid(child(path, 'terminationMessagePolicy'), c.terminationMessagePolicy, "must be 'File' or 'FallbackToLogsOnError'"));
  }
  errs.push(...validateEnum(c.imagePullPolicy, child(path, 'imagePullPolicy'), PULL_POLICIES));
  errs.push(...validateContainerPorts(c.ports, child(path, 'ports')));
  errs.push(...validateEnv(c.env, child(path, 'env')));
  errs.push(...validateVolumeMounts(c.volumeMounts, child(path, 'volumeMounts'), volumes));
  errs.push(...validateResources(c.resources, child(path, 'resources')));
  errs.push(...validateSecurityContext(c.securityContext, child(path, 'securityContext'), hostUsers));
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    const pr = c[probe];
    if (isObject(pr)) errs.push(...validateProbe(pr, child(path, probe)));
  }
  if (init && c.restartPolicy !== undefined && c.restartPolicy !== null && c.restartPolicy !== 'Always') {
    errs.push(notSupported(child(path, 'restartPolicy'), c.restartPolicy, ['Always']));
  } else if (!init && c.restartPolicy !== undefined && c.restartPolicy !== null) {
    errs.push(forbidden(child(path, 'restartPolicy'), 'may not be set for non-init containers'));
  }
  return errs;
}

export function validateContainerPorts(ports: unknown, path: string): FieldError[] {
  if (!Array.isArray(ports)) return [];
  const errs: FieldError[] = [];
  const names = new Set<string>();
  ports.forEach((raw: unknown, i: number) => {
    const ip = index(path, i);
    const p = obj(raw);
    const name = p.name;
    if (typeof name === 'string' && name.length > 0) {
      const msgs = isValidPortName(name);
      if (msgs.length) for (const m of msgs) errs.push(invalid(child(ip, 'name'), name, m));
      else if (names.has(name)) errs.push(duplicate(child(ip, 'name'), name));
      else names.add(name);
    }
    if (!p.containerPort) errs.push(required(child(ip, 'containerPort'), ''));
    else for (const m of isValidPortNum(p.containerPort)) errs.push(invalid(child(ip, 'containerPort'), p.containerPort, m));
    if (p.hostPort) for (const m of isValidPortNum(p.hostPort)) errs.push(invalid(child(ip, 'hostPort'), p.hostPort, m));
    errs.push(...validateProtocol(p.protocol, child(ip, 'protocol')));
  });
  return errs;
}

export function validateProtocol(proto: unknown, path: string): FieldError[] {
  if (proto === undefined || proto === null || proto === '') return [required(path, '')];
  return isOneOf(proto, SUPPORTED_PORT_PROTOCOLS) ? [] : [notSupported(path, proto, SUPPORTED_PORT_PROTOCOLS)];
}

/** Host ports must be unique per host IP and protocol across all containers of a pod. */
function validateHostPorts(containers: unknown[], path: string, initCount: number): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  containers.forEach((c, ci) => {
    const cpath = ci < initCount ? index(child(path, 'initContainers'), ci) : index(child(path, 'containers'), ci - initCount);
    arr(obj(c).ports).map(obj).forEach((p, pi) => {
      if (!p.hostPort) return;
      const k = `${p.hostIP ?? ''}/${p.protocol ?? ''}/${p.hostPort}`;
      if (seen.has(k)) errs.push(duplicate(child(index(child(cpath, 'ports'), pi), 'hostPort'), k));
      seen.add(k);
    });
  });
  return errs;
}

function validateEnv(env: unknown, path: string): FieldError[] {
  if (!Array.isArray(env)) return [];
  const errs: FieldError[] = [];
  env.forEach((raw: unknown, i: number) => {
    const p = index(path, i);
    const e = obj(raw);
    const name = typeof e.name === 'string' ? e.name : '';
    if (!name) errs.push(required(child(p, 'name'), ''));
    else for (const m of isRelaxedEnvVarName(name)) errs.push(invalid(child(p, 'name'), name, m));
    const valueFrom = e.valueFrom;
    if (isObject(valueFrom)) {
      if (typeof e.value === 'string' && e.value !== '') errs.push(invalid(child(p, 'valueFrom'), '', 'may not be specified when `value` is not empty'));
      const sources = ['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef'].filter((k) => isObject(valueFrom[k]));
      if (sources.length === 0) errs.push(invalid(child(p, 'valueFrom'), '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
      else if (sources.length > 1) errs.push(invalid(child(p, 'valueFrom'), '', 'may not have more than one field specified at a time'));
    }
  });
  return errs;
}

function validateVolumeMounts(mounts: unknown, path: string, volumes: Set<string>): FieldError[] {
  if (!Array.isArray(mounts)) return [];
  const errs: FieldError[] = [];
  const paths = new Set<string>();
  mounts.forEach((raw: unknown, i: number) => {
    const p = index(path, i);
    const m = obj(raw);
    const name = typeof m.name === 'string' ? m.name : '';
    if (!name) errs.push(required(child(p, 'name'), ''));
    else if (!volumes.has(name)) errs.push(notFound(child(p, 'name'), name));
    const mp = typeof m.mountPath === 'string' ? m.mountPath : '';
    if (!mp) errs.push(required(child(p, 'mountPath'), ''));
    else if (paths.has(mp)) errs.push(invalid(child(p, 'mountPath'), mp, 'must be unique'));
    paths.add(mp);
  });
  return errs;
}

function isStandardContainerResource(name: string): boolean {
  return STANDARD_CONTAINER_RESOURCES.has(name) || name.startsWith('hugepages-');
}

function validateResourceName(name: string, path: string): FieldError[] {
  const errs = isQualifiedName(name).map((m) => invalid(path, name, m));
  if (errs.length) return errs;
  // Prefixed names are extended resources, which only need to be qualified names here.
  if (!name.includes('/') && !isStandardContainerResource(name)) return [invalid(path, name, 'must be a standard resource for containers')];
  return [];
}

export function validateResources(res: unknown, path: string): FieldError[] {
  if (!isObject(res)) return [];
  const errs: FieldError[] = [];
  const limits = isObject(res.limits) ? res.limits : {};
  const requests = isObject(res.requests) ? res.requests : {};
  const check = (list: JsonObject, p: string) => {
    for (const name of Object.keys(list).sort()) {
      const fp = key(p, name);
      errs.push(...validateResourceName(name, fp));
      const v = parseQuantity(list[name]);
      if (v === undefined) errs.push(invalid(fp, quantityString(list[name]), QUANTITY_ERROR));
      else if (v < 0) errs.push(invalid(fp, quantityString(list[name]), 'must be greater than or equal to 0'));
    }
  };
  check(limits, child(path, 'limits'));
  check(requests, child(path, 'requests'));
  for (const name of Object.keys(requests).sort()) {
    const req = parseQuantity(requests[name]);
    const lim = parseQuantity(limits[name]);
    if (req !== undefined && lim !== undefined && req > lim) {
      errs.push(invalid(child(path, 'requests'), quantityString(requests[name]), `must be less than or equal to ${name} limit of ${quantityString(limits[name])}`));
    }
  }
  return errs;
}

function validateProbe(probe: JsonObject, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const handlers = ['exec', 'httpGet', 'tcpSocket', 'grpc'].filter((h) => isObject(probe[h]));
  if (handlers.length === 0) errs.push(required(path, 'must specify a handler type'));
  for (const extra of handlers.slice(1)) errs.push(forbidden(child(path, extra), 'may not specify more than 1 handler type'));
  for (const f of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) {
    errs.push(...validateNonnegative(probe[f], child(path, f)));
  }
  for (const h of ['httpGet', 'tcpSocket']) {
    const handler = probe[h];
    if (isObject(handler)) errs.push(...validatePortNumOrName(handler.port, child(path, h, 'port')));
  }
  if (isObject(probe.httpGet) && probe.httpGet.scheme !== undefined && !isOneOf(probe.httpGet.scheme, ['HTTP', 'HTTPS'])) {
    errs.push(notSupported(child(path, 'httpGet', 'scheme'), probe.httpGet.scheme, ['HTTP', 'HTTPS']));
  }
  return errs;
}

/** ValidatePortNumOrName: an int port number or an IANA service name. */
export function validatePortNumOrName(port: unknown, path: string): FieldError[] {
  if (typeof port === 'number') return isValidPortNum(port).map((m) => invalid(path, port, m));
  if (typeof port === 'string') {
    if (/^\d+$/.test(port)) return isValidPortNum(Number(port)).map((m) => invalid(path, Number(port), m));
    return isValidPortName(port).map((m) => invalid(path, port, m));
  }
  return [required(path, '')];
}

function validateTolerations(tols: unknown, path: string): FieldError[] {
  if (!Array.isArray(tols)) return [];
  const errs: FieldError[] = [];
  tols.forEach((raw: unknown, i: number) => {
    const p = index(path, i);
    const t = obj(raw);
    const tkey = t.key;
    if (typeof tkey === 'string' && tkey) errs.push(...isQualifiedName(tkey).map((m) => invalid(child(p, 'key'), tkey, m)));
    if (!t.key && t.operator !== 'Exists') errs.push(invalid(child(p, 'operator'), t.operator ?? '', 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') {
      errs.push(invalid(child(p, 'effect'), t.effect ?? '', 'effect must be \'NoExecute\' when `tolerationSeconds` is set'));
    }
    switch (t.operator) {
      case undefined:
      case '':
      case 'Equal':
        break;
      case 'Exists':
        if (typeof t.value === 'string' && t.value) errs.push(invalid(child(p, 'operator'), t.value, "value must be empty when `operator` is 'Exists'"));
        break;
      default:
        errs.push(notSupported(child(p, 'operator'), t.operator, ['Equal', 'Exists']));
    }
    if (t.effect && !isOneOf(t.effect, ['NoSchedule', 'PreferNoSchedule', 'NoExecute'])) {
      errs.push(notSupported(child(p, 'effect'), t.effect, ['NoSchedule', 'PreferNoSchedule', 'NoExecute']));
    }
  });
  return errs;
}

const POD_UPDATE_MESSAGE =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,' +
  '`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),' +
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/**
 * ValidatePodUpdate's spec rule. Setting spec.nodeName on an unbound pod is let through because
 * this cluster's binding goes through an update; upstream only allows it via pods/binding.
 */
function validatePodSpecUpdate(newSpec: unknown, oldSpec: unknown): FieldError[] {
  if (!isObject(newSpec) || !isObject(oldSpec)) return [];
  const strip = (s: JsonObject, bindFrom: JsonObject) => {
    const c = structuredClone(s);
    for (const list of ['containers', 'initContainers']) for (const ctr of arr(c[list])) if (isObject(ctr)) delete ctr.image;
    delete c.activeDeadlineSeconds;
    delete c.tolerations;
    delete c.terminationGracePeriodSeconds;
    if (!bindFrom.nodeName) delete c.nodeName;
    return c;
  };
  const errs: FieldError[] = [];
  if (!jsonEqual(strip(newSpec, oldSpec), strip(oldSpec, oldSpec))) errs.push(forbidden('spec', POD_UPDATE_MESSAGE));
  const oldTols = arr(oldSpec.tolerations);
  const newTols = arr(newSpec.tolerations);
  if (!oldTols.every((o) => newTols.some((n) => jsonEqual(n, o)))) {
    errs.push(forbidden('spec.tolerations', 'existing toleration can not be modified except its tolerationSeconds'));
  }
  return errs;
}

const HOST_PATH_TYPES = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'];

function validateHostPathVolumeSource(hp: JsonObject, path: string): FieldError[] {
  const p = typeof hp.path === 'string' ? hp.path : '';
  if (p === '') return [required(child(path, 'path'), '')];
  const errs = validatePathNoBacksteps(p, child(path, 'path'));
  if (hp.type !== undefined && hp.type !== null && !isOneOf(hp.type, HOST_PATH_TYPES)) errs.push(notSupported(child(path, 'type'), hp.type, HOST_PATH_TYPES));
  return errs;
}

function validatePathNoBacksteps(p: string, path: string): FieldError[] {
  return p.split('/').includes('..') ? [invalid(path, p, "must not contain '..'")] : [];
}

/** validateLocalDescendingPath. */
function validateLocalDescendingPath(p: string, path: string): FieldError[] {
  const errs = p.startsWith('/') ? [invalid(path, p, 'must be a relative path')] : [];
  return [...errs, ...validatePathNoBacksteps(p, path)];
}

const MAX_ID = 2147483647;

function validateId(v: unknown, path: string): FieldError[] {
  if (v === undefined || v === null) return [];
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_ID ? [] : [invalid(path, v, inclusiveRangeError(0, MAX_ID))];
}

/** ValidateSecurityContext (a container's), for a pod whose hostUsers is unset or true unless told. */
export function validateSecurityContext(sc: unknown, path: string, hostUsers = true): FieldError[] {
  if (!isObject(sc)) return [];
  const errs = [...validateId(sc.runAsUser, child(path, 'runAsUser')), ...validateId(sc.runAsGroup, child(path, 'runAsGroup'))];
  if (sc.procMount !== undefined && sc.procMount !== null) {
    if (!isOneOf(sc.procMount, ['Default', 'Unmasked'])) errs.push(notSupported(child(path, 'procMount'), sc.procMount, ['Default', 'Unmasked']));
    if (hostUsers && sc.procMount === 'Unmasked') errs.push(invalid(child(path, 'procMount'), sc.procMount, '`hostUsers` must be false to use `Unmasked`'));
  }
  errs.push(...validateSeccompProfileField(sc.seccompProfile, child(path, 'seccompProfile')));
  if (sc.allowPrivilegeEscalation === false) {
    if (sc.privileged === true) errs.push(invalid(path, goSecurityContext(sc), 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'));
    const add: unknown[] = isObject(sc.capabilities) && Array.isArray(sc.capabilities.add) ? sc.capabilities.add : [];
    for (const c of add) {
      if (c === 'CAP_SYS_ADMIN') errs.push(invalid(path, goSecurityContext(sc), 'cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN'));
    }
  }
  return errs;
}

function validateSeccompProfileField(sp: unknown, path: string): FieldError[] {
  if (!isObject(sp)) return [];
  const errs: FieldError[] = [];
  const types = ['Localhost', 'RuntimeDefault', 'Unconfined'];
  if (sp.type === undefined || sp.type === null || sp.type === '') errs.push(required(child(path, 'type'), 'type is required when seccompProfile is set'));
  else if (!isOneOf(sp.type, types)) errs.push(notSupported(child(path, 'type'), sp.type, types));
  const hasLocal = sp.localhostProfile !== undefined && sp.localhostProfile !== null;
  if (sp.type === 'Localhost') {
    if (!hasLocal) errs.push(required(child(path, 'localhostProfile'), 'must be set when seccomp type is Localhost'));
    else errs.push(...validateLocalDescendingPath(String(sp.localhostProfile), child(path, 'localhostProfile')));
  } else if (hasLocal) {
    errs.push(invalid(child(path, 'localhostProfile'), goSeccompProfile(sp), 'can only be set when seccomp type is Localhost'));
  }
  return errs;
}

/**
 * validatePodSpecSecurityContext. Paths are those of the internal PodSecurityContext, which
 * holds shareProcessNamespace (hence `spec.securityContext.shareProcessNamespace`).
 */
function validatePodSecurityContext(spec: JsonObject, specPath: string): FieldError[] {
  const errs: FieldError[] = [];
  const path = child(specPath, 'securityContext');
  const containers = arr(spec.containers);
  if (spec.hostNetwork === true) {
    containers.forEach((c, i) => {
      arr(obj(c).ports).map(obj).forEach((p, j) => {
        const hostPort = p.hostPort ?? 0;
        if (hostPort !== 0 && hostPort !== p.containerPort) {
          errs.push(invalid(child(index(child(index(child(specPath, 'containers'), i), 'ports'), j), 'hostPort'), hostPort, 'must match `containerPort` when `hostNetwork` is true'));
        }
      });
    });
  }
  const sc = obj(spec.securityContext);
  errs.push(...validateId(sc.fsGroup, child(path, 'fsGroup')), ...validateId(sc.runAsUser, child(path, 'runAsUser')), ...validateId(sc.runAsGroup, child(path, 'runAsGroup')));
  arr(sc.supplementalGroups).forEach((g: unknown, i: number) => errs.push(...validateId(g, index(child(path, 'supplementalGroups'), i))));
  if (spec.shareProcessNamespace === true && spec.hostPID === true) {
    errs.push(invalid(child(path, 'shareProcessNamespace'), true, 'ShareProcessNamespace and HostPID cannot both be enabled'));
  }
  if (Array.isArray(sc.sysctls) && sc.sysctls.length) errs.push(...validateSysctls(sc.sysctls, spec, child(path, 'sysctls')));
  if (sc.fsGroupChangePolicy !== undefined && sc.fsGroupChangePolicy !== null && !isOneOf(sc.fsGroupChangePolicy, ['Always', 'OnRootMismatch'])) {
    errs.push(notSupported(child(path, 'fsGroupChangePolicy'), sc.fsGroupChangePolicy, ['Always', 'OnRootMismatch']));
  }
  errs.push(...validateSeccompProfileField(sc.seccompProfile, child(path, 'seccompProfile')));
  if (sc.supplementalGroupsPolicy !== undefined && sc.supplementalGroupsPolicy !== null && !isOneOf(sc.supplementalGroupsPolicy, ['Merge', 'Strict'])) {
    errs.push(notSupported(child(path, 'supplementalGroupsPolicy'), sc.supplementalGroupsPolicy, ['Merge', 'Strict']));
  }
  return errs;
}

const SYSCTL_SEGMENT = '[a-z0-9]([-_a-z0-9]*[a-z0-9])?';
const SYSCTL_FMT = `^(${SYSCTL_SEGMENT}[\\./])*${SYSCTL_SEGMENT}$`;
const SYSCTL_RE = new RegExp(SYSCTL_FMT);
const SYSCTL_MAX_LENGTH = 253;

function validateSysctls(sysctls: unknown[], spec: JsonObject, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  sysctls.forEach((raw, i) => {
    const p = child(index(path, i), 'name');
    const s = obj(raw);
    const name = typeof s.name === 'string' ? s.name : '';
    if (!name) errs.push(required(p, ''));
    else if (name.length > SYSCTL_MAX_LENGTH || !SYSCTL_RE.test(name)) {
      errs.push(invalid(p, name, `must have at most ${SYSCTL_MAX_LENGTH} characters and match regex ${SYSCTL_FMT}`));
    } else if (names.has(name)) errs.push(duplicate(p, name));
    const ns = sysctlNamespace(name);
    if (spec.hostNetwork === true && ns === 'net') errs.push(invalid(p, name, "may not be specified when 'hostNetwork' is true"));
    else if (spec.hostIPC === true && ns === 'ipc') errs.push(invalid(p, name, "may not be specified when 'hostIPC' is true"));
    names.add(name);
  });
  return errs;
}

/** component-helpers/node/util/sysctl GetNamespace, on the dotted form of the name. */
function sysctlNamespace(name: string): 'net' | 'ipc' | undefined {
  const first = name.search(/[./]/);
  const dotted = first >= 0 && name[first] === '/' ? name.replace(/[./]/g, (c) => (c === '/' ? '.' : '/')) : name;
  if (['kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced', 'kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni'].includes(dotted)) return 'ipc';
  if (dotted.startsWith('kernel.shm') || dotted.startsWith('kernel.msg') || dotted.startsWith('fs.mqueue.')) return 'ipc';
  if (dotted.startsWith('net.')) return 'net';
  return undefined;
}

/** A set pointer prints as an address upstream; like the other printers here, `(...)` stands for it. */
function goPtr(type: string, v: unknown): string {
  return v === undefined || v === null ? `(*${type})(nil)` : `(*${type})(...)`;
}

function goSecurityContext(sc: JsonObject): GoValue {
  const f = (name: string, type: string) => `${name.charAt(0).toUpperCase()}${name.slice(1)}:${goPtr(type, sc[name])}`;
  return new GoValue(
    'core.SecurityContext{' +
      [
        f('capabilities', 'core.Capabilities'), f('privileged', 'bool'), 'SELinuxOptions:' + goPtr('core.SELinuxOptions', sc.seLinuxOptions),
        f('windowsOptions', 'core.WindowsSecurityContextOptions'), f('runAsUser', 'int64'), f('runAsGroup', 'int64'), f('runAsNonRoot', 'bool'),
        f('readOnlyRootFilesystem', 'bool'), f('allowPrivilegeEscalation', 'bool'), f('procMount', 'core.ProcMountType'),
        f('seccompProfile', 'core.SeccompProfile'), f('appArmorProfile', 'core.AppArmorProfile'),
      ].join(', ') +
      '}',
  );
}

function goSeccompProfile(sp: JsonObject): GoValue {
  return new GoValue(`core.SeccompProfile{Type:${goQuote(String(sp.type ?? ''))}, LocalhostProfile:${goPtr('string', sp.localhostProfile)}}`);
}
