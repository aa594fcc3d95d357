import net from 'node:net';
import type { Answer, Question } from 'dns-packet';
import type { KObject } from '../../api/types.js';

// The records of the Kubernetes DNS specification as the CoreDNS `kubernetes` plugin serves
// them (plugin/kubernetes + plugin/backend_lookup.go): the same name grammar, the same choice
// between NXDOMAIN and NODATA, the same SOA in negative answers. Pure: a question and a view
// in, a response out; the server does the I/O.

/** Schema version of kubernetes/dns docs/specification.md (CoreDNS itself serves "1.1.0"). */
export const DNS_SCHEMA_VERSION = '1.0.1';
export const DEFAULT_ZONE = 'cluster.local';
/** CoreDNS kubernetes plugin default TTL. */
export const DEFAULT_TTL = 5;
/** CoreDNS serves the dns-version TXT with this fixed TTL. */
const VERSION_TTL = 28800;
const REVERSE_ZONES = ['in-addr.arpa', 'ip6.arpa'];

/** What the DNS server knows of the cluster: plain API objects, as the informers hold them. */
export interface ClusterView {
  services: KObject[];
  endpointSlices: KObject[];
  pods: KObject[];
  /** Namespaces that exist; without it, a namespace exists when a Service or Pod lives in it. */
  namespaces?: KObject[];
  /** SOA serial: CoreDNS uses the time (unix seconds) of the last change it saw. */
  serial?: number;
}

export type PodMode = 'disabled' | 'insecure' | 'verified';

export interface AnswerOptions {
  zone?: string;
  ttl?: number;
  /** CoreDNS `pods` option; kubeadm's Corefile uses `insecure`, which the specification requires. */
  podMode?: PodMode;
}

export type Rcode = 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL' | 'REFUSED';

export interface DnsResult {
  rcode: Rcode;
  answers: Answer[];
  authority: Answer[];
  additionals: Answer[];
  /** True when the name is in a zone served from the cluster view. */
  authoritative: boolean;
  /**
   * The view has no final word: the name is outside the served zones, or it is an unknown
   * reverse name (`fallthrough in-addr.arpa ip6.arpa` in the reference Corefile).
   */
  fallthrough: boolean;
  /** An ExternalName CNAME whose target lies outside the zone: the server resolves it and appends. */
  chase?: { name: string; type: 'A' | 'AAAA' };
}

// ---------------------------------------------------------------------------------------------
// Index of the view

interface EndpointAddress {
  ip: string;
  hostname: string;
}
interface EndpointPort {
  name: string;
  protocol: string;
  port: number;
}
interface EndpointSet {
  addresses: EndpointAddress[];
  ports: EndpointPort[];
}
interface ServiceInfo {
  name: string;
  namespace: string;
  type: string;
  headless: boolean;
  clusterIPs: string[];
  externalIPs: string[];
  externalName: string;
  ports: EndpointPort[];
  publishNotReadyAddresses: boolean;
  endpoints: EndpointSet[];
}
interface ViewIndex {
  namespaces: Set<string>;
  services: Map<string, ServiceInfo>;
  /** ClusterIP and external IPs → the Service owning them. */
  serviceByIP: Map<string, ServiceInfo>;
  /** Endpoint IP → the names the endpoint has, one per Service selecting it. */
  endpointNamesByIP: Map<string, string[]>;
  /** namespace/ip of running pods, for `pods verified`. */
  podIPs: Set<string>;
}

type Obj = Record<string, unknown>;
const asObj = (v: unknown): Obj => (v && typeof v === 'object' ? (v as Obj) : {});
const asArr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const asStr = (v: unknown): string => (typeof v === 'string' ? v : '');
const lc = (s: string): string => s.toLowerCase();

/** CoreDNS endpointHostname: the endpoint's hostname, else its IP with dashes. */
function endpointHostname(hostname: string, ip: string): string {
  if (hostname) return hostname;
  if (ip.includes('.')) return ip.replaceAll('.', '-');
  return ip.replaceAll(':', '-');
}

function endpointSetOf(slice: KObject, publishNotReady: boolean): EndpointSet | undefined {
  const addressType = asStr(slice.addressType);
  if (addressType === 'FQDN') return undefined;
  const set: EndpointSet = { addresses: [], ports: [] };
  for (const p of asArr(slice.ports)) {
    const po = asObj(p);
    set.ports.push({ name: asStr(po.name), protocol: asStr(po.protocol) || 'TCP', port: typeof po.port === 'number' ? po.port : -1 });
  }
  // A slice without ports still carries addresses: CoreDNS adds a port -1 sentinel that
  // yields A records but no SRV.
  if (set.ports.length === 0) set.ports.push({ name: '', protocol: '', port: -1 });
  for (const e of asArr(slice.endpoints)) {
    const eo = asObj(e);
    const ready = asObj(eo.conditions).ready;
    // Unset readiness means ready (EndpointSlice API); publishNotReadyAddresses publishes all.
    if (ready === false && !publishNotReady) continue;
    const hostname = asStr(eo.hostname);
    for (const a of asArr(eo.addresses)) {
      const ip = asStr(a);
      if (net.isIP(ip)) set.addresses.push({ ip, hostname: endpointHostname(hostname, ip) });
    }
  }
  return set;
}

const cache = new WeakMap<ClusterView, ViewIndex>();

function indexOf(view: ClusterView): ViewIndex {
  const hit = cache.get(view);
  if (hit) return hit;
  const idx: ViewIndex = {
    namespaces: new Set(),
    services: new Map(),
    serviceByIP: new Map(),
    endpointNamesByIP: new Map(),
    podIPs: new Set(),
  };
  if (view.namespaces) for (const ns of view.namespaces) idx.namespaces.add(lc(ns.metadata.name ?? ''));
  for (const svc of view.services) {
    const spec = asObj(svc.spec);
    const namespace = svc.metadata.namespace ?? 'default';
    const clusterIP = asStr(spec.clusterIP);
    const clusterIPs = (asArr(spec.clusterIPs).length ? asArr(spec.clusterIPs).map(asStr) : [clusterIP]).filter((ip) => net.isIP(ip));
    const info: ServiceInfo = {
      name: svc.metadata.name ?? '',
      namespace,
      type: asStr(spec.type) || 'ClusterIP',
      headless: clusterIP === 'None',
      clusterIPs,
      externalIPs: asArr(spec.externalIPs).map(asStr).filter((ip) => net.isIP(ip)),
      externalName: asStr(spec.externalName),
      ports: asArr(spec.ports).map((p) => {
        const po = asObj(p);
        return { name: asStr(po.name), protocol: asStr(po.protocol) || 'TCP', port: typeof po.port === 'number' ? po.port : -1 };
      }),
      publishNotReadyAddresses: spec.publishNotReadyAddresses === true,
      endpoints: [],
    };
    idx.services.set(lc(`${namespace}/${info.name}`), info);
    if (!view.namespaces) idx.namespaces.add(lc(namespace));
    for (const ip of [...clusterIPs, ...info.externalIPs]) if (!idx.serviceByIP.has(ipKey(ip))) idx.serviceByIP.set(ipKey(ip), info);
  }
  for (const slice of view.endpointSlices) {
    const svcName = slice.metadata.labels?.['kubernetes.io/service-name'];
    if (!svcName) continue;
    const info = idx.services.get(lc(`${slice.metadata.namespace ?? 'default'}/${svcName}`));
    if (!info) continue;
    const set = endpointSetOf(slice, info.publishNotReadyAddresses);
    if (!set) continue;
    info.endpoints.push(set);
    for (const a of set.addresses) {
      const name = `${a.hostname}.${info.name}.${info.namespace}.svc`;
      const names = idx.endpointNamesByIP.get(ipKey(a.ip)) ?? [];
      if (!names.includes(name)) names.push(name);
      idx.endpointNamesByIP.set(ipKey(a.ip), names);
    }
  }
  for (const pod of view.pods) {
    const namespace = pod.metadata.namespace ?? 'default';
    if (!view.namespaces) idx.namespaces.add(lc(namespace));
    const status = asObj(pod.status);
    const ips = asArr(status.podIPs).map((p) => asStr(asObj(p).ip));
    if (asStr(status.podIP)) ips.push(asStr(status.podIP));
    for (const ip of ips) if (ip) idx.podIPs.add(`${lc(namespace)}/${ip}`);
  }
  cache.set(view, idx);
  return idx;
}

// ---------------------------------------------------------------------------------------------
// Name grammar (CoreDNS plugin/kubernetes/parse.go)

interface RecordRequest {
  port: string;
  protocol: string;
  endpoint: string;
  service: string;
  namespace: string;
  podOrSvc: string;
}

class NameError extends Error {}

function stripUnderscore(s: string): string {
  return s.startsWith('_') ? s.slice(1) : s;
}

function parseRequest(name: string, zone: string): RecordRequest {
  const r: RecordRequest = { port: '', protocol: '', endpoint: '', service: '', namespace: '', podOrSvc: '' };
  const base = name === zone ? '' : name.slice(0, name.length - zone.length - 1);
  if (base === '' || base === 'svc' || base === 'pod') return r;
  const segs = base.split('.');
  let last = segs.length - 1;
  r.podOrSvc = segs[last];
  if (r.podOrSvc !== 'pod' && r.podOrSvc !== 'svc') throw new NameError('invalid query name');
  if (--last < 0) return r;
  r.namespace = segs[last];
  if (--last < 0) return r;
  r.service = segs[last];
  if (--last < 0) return r;
  if (last === 0) r.endpoint = segs[0];
  else if (last === 1) {
    r.protocol = stripUnderscore(segs[1]);
    r.port = stripUnderscore(segs[0]);
  } else throw new NameError('query name too long');
  return r;
}

// ---------------------------------------------------------------------------------------------
// Backend: names → entries (msg.Service in CoreDNS)

interface Entry {
  /** Owner of the record the entry stands for, e.g. `web.default.svc.cluster.local`. */
  domain: string;
  /** An IP, or a name for a CNAME. */
  host: string;
  port: number;
  text?: string;
  ttl: number;
}

interface Ctx {
  idx: ViewIndex;
  zone: string;
  ttl: number;
  podMode: PodMode;
  serial: number;
}

const matchPP = (a: string, b: string): boolean => a === '' || a === lc(b);

function findServices(c: Ctx, r: RecordRequest): Entry[] {
  if (r.service === '') return []; // NODATA: the namespace exists (checked by the caller)
  const svc = c.idx.services.get(`${r.namespace}/${r.service}`);
  if (!svc) throw new NameError('no items found');
  const out: Entry[] = [];
  const domain = `${lc(svc.name)}.${lc(svc.namespace)}.svc.${c.zone}`;
  if (svc.type === 'ExternalName') {
    // An ExternalName has no endpoints, and an IP there is no CNAME: both give no record.
    if (r.endpoint === '' && svc.externalName && !net.isIP(svc.externalName))
      out.push({ domain, host: svc.externalName.replace(/\.$/, ''), port: -1, ttl: c.ttl });
  } else if (svc.headless || r.endpoint !== '') {
    for (const set of svc.endpoints)
      for (const a of set.addresses) {
        if (r.endpoint !== '' && r.endpoint !== lc(a.hostname)) continue;
        for (const p of set.ports) {
          if (!(matchPP(r.port, p.name) && matchPP(r.protocol, p.protocol))) continue;
          out.push({ domain: `${lc(a.hostname)}.${domain}`, host: a.ip, port: p.port, ttl: c.ttl });
        }
      }
  } else {
    for (const p of svc.ports) {
      if (!(matchPP(r.port, p.name) && matchPP(r.protocol, p.protocol))) continue;
      for (const ip of svc.clusterIPs) out.push({ domain, host: ip, port: p.port, ttl: c.ttl });
    }
  }
  if (out.length === 0) throw new NameError('no items found');
  return out;
}

function findPods(c: Ctx, r: RecordRequest): Entry[] {
  if (c.podMode === 'disabled') throw new NameError('pod records disabled');
  const podname = r.service;
  if (podname === '') return [];
  const dashes = podname.split('-').length - 1;
  const ip = dashes === 3 && !podname.includes('--') ? podname.replaceAll('-', '.') : podname.replaceAll('-', ':');
  if (!net.isIP(ip)) throw new NameError('not an IP');
  const entry: Entry = { domain: `${podname}.${r.namespace}.pod.${c.zone}`, host: ip, port: -1, ttl: c.ttl };
  if (c.podMode === 'insecure') return [entry];
  if (c.idx.podIPs.has(`${r.namespace}/${ip}`)) return [entry];
  throw new NameError('no pod with this IP');
}

/** CoreDNS Kubernetes.Records: a forward name of the cluster zone. */
function records(c: Ctx, name: string): Entry[] {
  const r = parseRequest(name, c.zone);
  if (r.podOrSvc === '') return [];
  if (!c.idx.namespaces.has(r.namespace)) throw new NameError('namespace not exposed');
  return r.podOrSvc === 'pod' ? findPods(c, r) : findServices(c, r);
}

/** CoreDNS Kubernetes.Services: the entries for (name, type) in the cluster zone. */
function services(c: Ctx, name: string, type: string): Entry[] {
  if (type === 'TXT') {
    // Only dns-version answers TXT; any other name is NODATA, never NXDOMAIN, as in CoreDNS.
    if (name === `dns-version.${c.zone}`) return [{ domain: name, host: '', port: -1, text: DNS_SCHEMA_VERSION, ttl: VERSION_TTL }];
    return [];
  }
  const es = records(c, name);
  // SRV for ExternalName services is not implemented by CoreDNS: drop the CNAME entries.
  return type === 'SRV' ? es.filter((e) => net.isIP(e.host)) : es;
}

// ---------------------------------------------------------------------------------------------
// Record builders (plugin/backend_lookup.go)

interface Built {
  records: Answer[];
  chase?: DnsResult['chase'];
}

function address(c: Ctx, qname: string, name: string, type: 'A' | 'AAAA', prev: Answer[]): Built {
  const es = name === c.zone ? [] : services(c, name, type);
  const out: Answer[] = [];
  const seen = new Set<string>();
  let chase: DnsResult['chase'];
  const family = type === 'A' ? 4 : 6;
  for (const e of es) {
    const fam = net.isIP(e.host);
    if (fam === 0) {
      if (lc(e.host) === name || prev.length > 7) continue;
      const cname: Answer = { name: qname, type: 'CNAME', class: 'IN', ttl: e.ttl, data: e.host };
      if (prev.some((p) => p.type === 'CNAME' && p.data === e.host)) continue;
      const target = lc(e.host);
      if (target === c.zone || target.endsWith(`.${c.zone}`)) {
        try {
          const next = address(c, e.host, target, type, [...prev, cname]);
          if (next.records.length > 0) out.push(cname, ...next.records);
        } catch (err) {
          if (!(err instanceof NameError)) throw err;
        }
        continue;
      }
      out.push(cname);
      chase ??= { name: e.host, type };
      continue;
    }
    if (fam === family && !seen.has(e.host)) {
      seen.add(e.host);
      out.push({ name: qname, type, class: 'IN', ttl: e.ttl, data: e.host });
    }
  }
  return { records: out, chase };
}

function srv(c: Ctx, qname: string, name: string): { records: Answer[]; extra: Answer[] } {
  const es = services(c, name, 'SRV');
  const records: Answer[] = [];
  const extra: Answer[] = [];
  const seen = new Set<string>();
  // Every entry has priority 0 and weight 100: CoreDNS scales each to 100/N of its priority group.
  const weight = Math.max(1, Math.floor((100 / (100 * es.length)) * 100));
  for (const e of es) {
    if (e.port === -1) continue;
    const fam = net.isIP(e.host);
    const target = e.domain;
    const srvKey = `${target}|${e.port}`;
    if (!seen.has(srvKey)) {
      seen.add(srvKey);
      records.push({ name: qname, type: 'SRV', class: 'IN', ttl: e.ttl, data: { priority: 0, weight, port: e.port, target } });
    }
    const addrKey = `${target}|${e.host}`;
    if (!seen.has(addrKey)) {
      seen.add(addrKey);
      extra.push({ name: target, type: fam === 6 ? 'AAAA' : 'A', class: 'IN', ttl: e.ttl, data: e.host });
    }
  }
  return { records, extra };
}

/** dnsutil.ExtractAddressFromReverse: the IP of a full in-addr.arpa / ip6.arpa name, else ''. */
export function addressFromReverse(name: string): string {
  if (name.endsWith('.in-addr.arpa')) {
    const parts = name.slice(0, -'.in-addr.arpa'.length).split('.');
    if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return '';
    return parts.reverse().map(Number).join('.');
  }
  if (name.endsWith('.ip6.arpa')) {
    const nibbles = name.slice(0, -'.ip6.arpa'.length).split('.');
    if (nibbles.length !== 32 || nibbles.some((n) => !/^[0-9a-f]$/.test(n))) return '';
    return nibbles.reverse().join('').match(/.{4}/g)!.join(':');
  }
  return '';
}

/** One spelling per address, so that reverse lookups find IPv6 addresses however written. */
export function ipKey(ip: string): string {
  return net.isIPv6(ip) ? expandIPv6(ip).join(':') : ip;
}

/** The reverse name of an IP: `d.c.b.a.in-addr.arpa` or the nibble form under ip6.arpa. */
export function reverseName(ip: string): string {
  if (net.isIPv4(ip)) return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
  const parts = expandIPv6(ip);
  return `${parts.join('').split('').reverse().join('.')}.ip6.arpa`;
}

/** The eight four-digit groups of an IPv6 address. */
export function expandIPv6(ip: string): string[] {
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((g) => g.toLowerCase().padStart(4, '0'));
}

function ptr(c: Ctx, qname: string, name: string): Answer[] {
  const ip = addressFromReverse(name);
  if (!ip) {
    if (!isInZone(name, c.zone)) throw new NameError('not a full reverse name');
    records(c, name);
    return [];
  }
  const svc = c.idx.serviceByIP.get(ipKey(ip));
  const hosts = svc ? [`${svc.name}.${svc.namespace}.svc`] : (c.idx.endpointNamesByIP.get(ipKey(ip)) ?? []);
  if (hosts.length === 0) throw new NameError('no items found');
  return hosts.map((h) => ({ name: qname, type: 'PTR', class: 'IN', ttl: c.ttl, data: `${h}.${c.zone}` }) as Answer);
}

function soa(c: Ctx, zone: string): Answer {
  return {
    name: zone,
    type: 'SOA',
    class: 'IN',
    ttl: Math.min(c.ttl, 300),
    data: {
      mname: `ns.dns.${zone}`,
      rname: `hostmaster.${zone}`,
      serial: c.serial,
      refresh: 7200,
      retry: 1800,
      expire: 86400,
      minimum: c.ttl,
    },
  };
}

function isInZone(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

function result(rcode: Rcode, answers: Answer[], authority: Answer[] = [], additionals: Answer[] = []): DnsResult {
  return { rcode, answers, authority, additionals, authoritative: true, fallthrough: false };
}

/** Answers one question from the view, as CoreDNS's kubernetes plugin would. */
export function answer(question: Question, view: ClusterView, opts: AnswerOptions = {}): DnsResult {
  const zone = lc((opts.zone ?? DEFAULT_ZONE).replace(/\.$/, ''));
  const qname = question.name.replace(/\.$/, '');
  const name = lc(qname);
  const type = question.type;
  const servedZone = [zone, ...REVERSE_ZONES].find((z) => isInZone(name, z));
  if (!servedZone) return { rcode: 'REFUSED', answers: [], authority: [], additionals: [], authoritative: false, fallthrough: true };
  const c: Ctx = { idx: indexOf(view), zone, ttl: opts.ttl ?? DEFAULT_TTL, podMode: opts.podMode ?? 'insecure', serial: view.serial ?? 1 };
  const reverse = servedZone !== zone;
  try {
    let records: Answer[] = [];
    let extra: Answer[] = [];
    let chase: DnsResult['chase'];
    if (reverse) {
      // The cluster zone only knows reverse names of its IPs: PTR, else name errors that fall through.
      if (type === 'PTR') records = ptr(c, qname, name);
      else if (name !== servedZone) throw new NameError('not a cluster name');
    } else {
      switch (type) {
        case 'A':
        case 'AAAA':
          ({ records, chase } = address(c, qname, name, type, []));
          break;
        case 'TXT':
          records = txt(c, qname, name);
          break;
        case 'CNAME': {
          const es = services(c, name, type);
          if (es.length > 0 && !net.isIP(es[0].host)) records = [{ name: qname, type: 'CNAME', class: 'IN', ttl: es[0].ttl, data: es[0].host }];
          break;
        }
        case 'SRV':
          ({ records, extra } = srv(c, qname, name));
          break;
        case 'PTR':
          records = ptr(c, qname, name);
          break;
        case 'SOA':
          records = [soa(c, zone)];
          break;
        case 'MX':
          services(c, name, type); // no Service carries mail: NODATA unless the name is unknown
          break;
        default:
          // A fake A lookup tells NODATA from NXDOMAIN, as the CoreDNS handler does.
          if (name !== zone) services(c, name, 'A');
      }
    }
    if (records.length === 0) return result('NOERROR', [], [soa(c, servedZone)]);
    const res = result('NOERROR', records, [], extra);
    if (chase) res.chase = chase;
    return res;
  } catch (err) {
    if (!(err instanceof NameError)) throw err;
    const res = result('NXDOMAIN', [], [soa(c, servedZone)]);
    res.fallthrough = reverse;
    return res;
  }
}

function txt(c: Ctx, qname: string, name: string): Answer[] {
  const out: Answer[] = [];
  for (const e of services(c, name, 'TXT')) if (e.text !== undefined) out.push({ name: qname, type: 'TXT', class: 'IN', ttl: e.ttl, data: e.text });
  return out;
}
