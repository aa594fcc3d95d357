import assert from 'node:assert/strict';
import { test } from 'node:test';
import { translateCors, translateMirrors, type HTTPRoute } from '../../../../../src/addons/istio/config/routes.js';
import { clusterPolicy, mergeTrafficPolicy, type TrafficPolicy } from '../../../../../src/addons/istio/config/traffic-policy.js';

test('top-level policy applies to every port; a portLevelSettings entry replaces it wholesale for its port', () => {
  const top: TrafficPolicy = {
    loadBalancer: { simple: 'ROUND_ROBIN' },
    connectionPool: { tcp: { maxConnections: 10 } },
    portLevelSettings: [{ port: { number: 8080 }, loadBalancer: { consistentHash: { httpHeaderName: 'X-User' } } }],
  };
  assert.deepEqual(clusterPolicy(top, undefined, 80), { lb: 'ROUND_ROBIN', pool: { maxConnections: 10 } });
  // No inheritance at port level: the connection pool falls back to the defaults.
  assert.deepEqual(clusterPolicy(top, undefined, 8080), { lb: 'LEAST_REQUEST', hash: { policy: { header: 'x-user' }, minimumRingSize: 1024 } });
});

test("a subset's fields override the top level's one by one, and its own portLevelSettings win at their port", () => {
  const top: TrafficPolicy = { loadBalancer: { simple: 'RANDOM' }, outlierDetection: { consecutive5xxErrors: 2 } };
  const subset: TrafficPolicy = {
    connectionPool: { http: { http1MaxPendingRequests: 1 } },
    portLevelSettings: [{ port: { number: 9000 }, loadBalancer: { simple: 'ROUND_ROBIN' } }],
  };
  const merged = mergeTrafficPolicy(top, subset, 80);
  assert.deepEqual(merged.loadBalancer, { simple: 'RANDOM' });
  assert.deepEqual(merged.connectionPool, { http: { http1MaxPendingRequests: 1 } });
  assert.deepEqual(merged.outlierDetection, { consecutive5xxErrors: 2 });
  assert.deepEqual(mergeTrafficPolicy(top, subset, 9000), { loadBalancer: { simple: 'ROUND_ROBIN' }, connectionPool: undefined, outlierDetection: undefined, tls: undefined });
  // The top level's port settings apply under a subset that has none for the port.
  const withPort: TrafficPolicy = { ...top, portLevelSettings: [{ port: { number: 81 }, loadBalancer: { simple: 'ROUND_ROBIN' } }] };
  assert.deepEqual(mergeTrafficPolicy(withPort, { connectionPool: { tcp: { maxConnections: 1 } } }, 81).loadBalancer, { simple: 'ROUND_ROBIN' });
  // tls as the other fields: the subset's over the top level's, a port's settings wholesale.
  const tls: TrafficPolicy = { tls: { mode: 'SIMPLE' }, portLevelSettings: [{ port: { number: 443 }, tls: { mode: 'MUTUAL', credentialName: 'c' } }] };
  assert.deepEqual(mergeTrafficPolicy(tls, undefined, 80).tls, { mode: 'SIMPLE' });
  assert.deepEqual(mergeTrafficPolicy(tls, undefined, 443).tls, { mode: 'MUTUAL', credentialName: 'c' });
  assert.deepEqual(mergeTrafficPolicy(tls, { tls: { mode: 'DISABLE' } }, 80).tls, { mode: 'DISABLE' });
  assert.deepEqual(mergeTrafficPolicy(tls, { loadBalancer: { simple: 'RANDOM' } }, 80).tls, { mode: 'SIMPLE' });
});

test('consistentHash sources, the cookie with its ttl and path, and the ring size', () => {
  const hash = (ch: object) => clusterPolicy({ loadBalancer: { consistentHash: ch } }, undefined, 80).hash;
  assert.deepEqual(hash({ httpCookie: { name: 'user', ttl: '10s', path: '/' } }), { policy: { cookie: { name: 'user', path: '/', ttlMs: 10_000 } }, minimumRingSize: 1024 });
  assert.deepEqual(hash({ httpCookie: { name: 'user' } })?.policy, { cookie: { name: 'user' } });
  assert.deepEqual(hash({ useSourceIp: true, ringHash: { minimumRingSize: 64 } }), { policy: { sourceIp: true }, minimumRingSize: 64 });
  assert.deepEqual(hash({ httpQueryParameterName: 'u', minimumRingSize: 32 }), { policy: { queryParameter: 'u' }, minimumRingSize: 32 });
  assert.equal(hash({}), undefined);
});

test("connectionPool: only positive limits (zero is Istio's unlimited), connectTimeout", () => {
  const pool = (cp: TrafficPolicy['connectionPool']) => clusterPolicy({ connectionPool: cp }, undefined, 80).pool;
  assert.deepEqual(pool({ tcp: { maxConnections: 1, connectTimeout: '250ms' }, http: { http1MaxPendingRequests: 1, maxRequestsPerConnection: 1, http2MaxRequests: 5 } }), {
    maxConnections: 1,
    maxPendingRequests: 1,
    maxRequests: 5,
    maxRequestsPerConnection: 1,
    connectTimeoutMs: 250,
  });
  assert.equal(pool({ tcp: { maxConnections: 0 } }), undefined);
  assert.deepEqual(pool({ tcp: { idleTimeout: '30s' }, http: { idleTimeout: '5s' } }), { idleTimeoutMs: 5000 });
  assert.deepEqual(pool({ tcp: { idleTimeout: '30s' } }), { idleTimeoutMs: 30_000 });
});

test("outlierDetection: Envoy's defaults for absent fields, gateway errors off unless asked, minHealthPercent 0", () => {
  const od = (o: TrafficPolicy['outlierDetection']) => clusterPolicy({ outlierDetection: o }, undefined, 80).outlier;
  assert.deepEqual(od({}), { consecutive5xx: 5, consecutiveGatewayErrors: 0, intervalMs: 10_000, baseEjectionMs: 30_000, maxEjectionPercent: 10, minHealthPercent: 0 });
  assert.deepEqual(od({ consecutive5xxErrors: 0, consecutiveGatewayErrors: 1, interval: '1s', baseEjectionTime: '3m', maxEjectionPercent: 100, minHealthPercent: 50 }), {
    consecutive5xx: 0,
    consecutiveGatewayErrors: 1,
    intervalMs: 1000,
    baseEjectionMs: 180_000,
    maxEjectionPercent: 100,
    minHealthPercent: 50,
  });
  // The deprecated field: gateway errors only.
  assert.deepEqual([od({ consecutiveErrors: 3 })?.consecutiveGatewayErrors, od({ consecutiveErrors: 3 })?.consecutive5xx], [3, 0]);
  assert.equal(clusterPolicy(undefined, undefined, 80).outlier, undefined);
});

test('mirror with mirrorPercentage (100% when absent), the older mirrorPercent, mirrors; unresolvable ones left out', () => {
  const resolve = (d: { host?: string; subset?: string } | undefined) => (d?.host === 'missing' ? undefined : `outbound|80|${d?.subset ?? ''}|${d?.host}`);
  const r = (x: object) => translateMirrors(x as HTTPRoute, 'default', resolve as never);
  assert.deepEqual(r({ mirror: { host: 'b', subset: 'v2' } }), [{ cluster: 'outbound|80|v2|b', percent: 100 }]);
  assert.deepEqual(r({ mirror: { host: 'b' }, mirrorPercentage: { value: 12.5 } }), [{ cluster: 'outbound|80||b', percent: 12.5 }]);
  assert.deepEqual(r({ mirror: { host: 'b' }, mirrorPercent: 30 }), [{ cluster: 'outbound|80||b', percent: 30 }]);
  assert.deepEqual(r({ mirrors: [{ destination: { host: 'c' }, percentage: { value: 5 } }, { destination: { host: 'missing' } }] }), [{ cluster: 'outbound|80||c', percent: 5 }]);
  assert.deepEqual(r({}), []);
});

test('corsPolicy as pilot translates it: matchers, joined lists, maxAge in seconds, unmatchedPreflights', () => {
  assert.deepEqual(
    translateCors({ allowOrigins: [{ exact: 'https://a.test' }, { regex: '.*\\.b\\.test' }], allowMethods: ['GET', 'POST'], allowHeaders: ['x-a', 'x-b'], exposeHeaders: ['x-c'], maxAge: '24h', allowCredentials: false }),
    {
      allowOrigins: [{ exact: 'https://a.test' }, { regex: '.*\\.b\\.test' }],
      allowMethods: 'GET,POST',
      allowHeaders: 'x-a,x-b',
      exposeHeaders: 'x-c',
      maxAge: '86400',
      allowCredentials: false,
      forwardUnmatchedPreflights: true,
    },
  );
  assert.deepEqual(translateCors({ allowOrigin: ['*'], unmatchedPreflights: 'IGNORE' }), { allowOrigins: [{ exact: '*' }], forwardUnmatchedPreflights: false });
  assert.equal(translateCors(undefined), undefined);
});
