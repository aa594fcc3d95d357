import type { FieldError, KObject } from '../types.js';
import { child, index, invalid, required } from './field.js';
import { arr, obj } from './json.js';
import { IP_ERROR, isDNS1123Label, isValidIP, isValidPortNum } from './names.js';
import { validateProtocol } from './pod.js';

// Endpoints (core/v1) rules: addresses are IPs, ports are named when there are several.

export function validateEndpoints(ep: KObject): FieldError[] {
  const errs: FieldError[] = [];
  arr(ep.subsets).forEach((raw: unknown, i: number) => {
    const s = obj(raw);
    const sp = index('subsets', i);
    for (const list of ['addresses', 'notReadyAddresses']) {
      arr(s[list]).forEach((rawAddress: unknown, j: number) => {
        const a = obj(rawAddress);
        const ip = String(a.ip ?? '');
        const p = child(index(child(sp, list), j), 'ip');
        if (!isValidIP(ip)) errs.push(invalid(p, ip, IP_ERROR));
        if (typeof a.hostname === 'string' && a.hostname) for (const m of isDNS1123Label(a.hostname)) errs.push(invalid(child(index(child(sp, list), j), 'hostname'), a.hostname, m));
      });
    }
    const ports = arr(s.ports);
    ports.forEach((rawPort, j) => {
      const port = obj(rawPort);
      const pp = index(child(sp, 'ports'), j);
      const name = typeof port.name === 'string' ? port.name : '';
      if (ports.length > 1 && !name) errs.push(required(child(pp, 'name'), ''));
      else if (name) for (const m of isDNS1123Label(name)) errs.push(invalid(child(pp, 'name'), name, m));
      for (const m of isValidPortNum(port.port)) errs.push(invalid(child(pp, 'port'), port.port ?? 0, m));
      errs.push(...validateProtocol(port.protocol, child(pp, 'protocol')));
    });
  });
  return errs;
}
