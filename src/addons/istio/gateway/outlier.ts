import type { Endpoint } from '../../proxy/endpoints.js';
import type { OutlierPolicy } from '../config/types.js';

// Envoy's outlier detection for one cluster, as pilot configures it from `outlierDetection`:
// each host counts consecutive 5xx answers and consecutive gateway errors (502, 503, 504); a
// failure to connect or a reset counts as both, as Envoy maps such local-origin errors to 503
// when they are not split out. Reaching either threshold ejects the host for base ejection time
// × the times it has been ejected (capped at Envoy's max_ejection_time, 300 s or the base when
// longer), unless that would put more than maxEjectionPercent of the hosts out, one host always
// being allowed. Every interval a host spends back in without being ejected takes one off its
// count. While fewer than minHealthPercent of the hosts are in, all of them take traffic
// (Envoy's panic mode); with none in and no panic, the proxy says "no healthy upstream".
// Envoy lets hosts back in on its interval timer: an ejection ends on the first tick (every
// interval from the detector's start) at or after its time is up; here that tick is computed
// when the host is next looked at rather than run as a timer.

const MAX_EJECTION_MS = 300_000;

interface HostState {
  consecutive5xx: number;
  consecutiveGateway: number;
  ejections: number;
  /** When the current ejection ends; undefined while the host is in. */
  ejectedUntil?: number;
  /** When the host came back (or was first seen), for the decrement of `ejections`. */
  since: number;
}

export class OutlierDetector {
  private readonly hosts = new Map<string, HostState>();
  /** Hosts whose ejection may still run: while none is, every request skips the filtering. */
  private readonly out = new Set<string>();

  constructor(
    public policy: OutlierPolicy,
    /** When the interval timer started. */
    private readonly epoch = Date.now(),
  ) {}

  /** The first interval tick at or after `t`. */
  private tick(t: number): number {
    const i = this.policy.intervalMs;
    return this.epoch + Math.ceil((t - this.epoch) / i) * i;
  }

  private state(key: string, now: number): HostState {
    let s = this.hosts.get(key);
    if (!s) {
      s = { consecutive5xx: 0, consecutiveGateway: 0, ejections: 0, since: now };
      this.hosts.set(key, s);
    }
    return s;
  }

  private ejected(key: string, s: HostState, now: number): boolean {
    if (s.ejectedUntil === undefined) return false;
    const back = this.tick(s.ejectedUntil);
    if (now < back) return true;
    s.ejectedUntil = undefined;
    s.since = back;
    this.out.delete(key);
    return false;
  }

  /** Whether a host is out of the pool now. */
  isEjected(key: string, now = Date.now()): boolean {
    const s = this.hosts.get(key);
    return !!s && this.ejected(key, s, now);
  }

  /**
   * An answer from a host (its status), or `undefined` for a local-origin failure (no
   * connection, reset, timeout). Returns whether the host was ejected by it.
   */
  record(key: string, status: number | undefined, hostCount: number, now = Date.now()): boolean {
    const s = this.state(key, now);
    if (this.ejected(key, s, now)) return false;
    const code = status ?? 503;
    if (code < 500) {
      s.consecutive5xx = 0;
      s.consecutiveGateway = 0;
      return false;
    }
    s.consecutive5xx++;
    if (code === 502 || code === 503 || code === 504) s.consecutiveGateway++;
    else s.consecutiveGateway = 0;
    const p = this.policy;
    const trip = (p.consecutive5xx > 0 && s.consecutive5xx >= p.consecutive5xx) || (p.consecutiveGatewayErrors > 0 && s.consecutiveGateway >= p.consecutiveGatewayErrors);
    if (!trip) return false;
    s.consecutive5xx = 0;
    s.consecutiveGateway = 0;
    let active = 0;
    for (const k of [...this.out]) if (k !== key && this.ejected(k, this.hosts.get(k)!, now)) active++;
    if (active > 0 && (100 * (active + 1)) / Math.max(hostCount, 1) > p.maxEjectionPercent) return false;
    const healed = Math.floor((now - s.since) / p.intervalMs);
    s.ejections = Math.max(0, s.ejections - healed) + 1;
    s.ejectedUntil = now + Math.min(p.baseEjectionMs * s.ejections, Math.max(MAX_EJECTION_MS, p.baseEjectionMs));
    this.out.add(key);
    return true;
  }

  /** The hosts that take traffic: those not ejected, or all of them in panic. */
  healthy(endpoints: Endpoint[], now = Date.now()): Endpoint[] {
    if (this.out.size === 0) return endpoints;
    const inPool = endpoints.filter((e) => !this.isEjected(e.key, now));
    if (inPool.length === endpoints.length) return endpoints;
    if (endpoints.length > 0 && (100 * inPool.length) / endpoints.length < this.policy.minHealthPercent) return endpoints;
    return inPool;
  }

  /** Forgets hosts that left the cluster. */
  retain(keys: Set<string>): void {
    for (const k of this.hosts.keys()) {
      if (keys.has(k)) continue;
      this.hosts.delete(k);
      this.out.delete(k);
    }
  }
}
