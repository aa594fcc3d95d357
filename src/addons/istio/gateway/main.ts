import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import { fileTokenSource, SERVICE_ACCOUNT_DIR } from '../../../client/in-cluster.js';
import { ISTIO_STATUS_PORT as STATUS_PORT, ISTIOD_XDS_PORT, ZTUNNEL_DNS_PORT } from '../../../cluster/constants.js';
import { notifyReady } from '../../ready.js';
import { applyDelta, isDelta, type ProxyConfigDelta } from '../config/delta.js';
import type { ProxyConfig } from '../config/types.js';
import { DISCOVERY_PATH } from '../istiod/discovery.js';
import { AccessLogSink } from '../../proxy/access-log-sink.js';
import { DnsProxy } from './dns-proxy.js';
import { GatewayListeners } from './listeners.js';
import { GatewayProxy } from './proxy.js';

// The program of the built-in docker.io/istio/proxyv2 image run as `proxy router`: pilot-agent
// and Envoy in one process. It subscribes to istiod for its pod's configuration, proving which
// pod it is with the pod's ServiceAccount token (istiod/discovery.ts) over TLS, having verified
// istiod's certificate against the cluster CA of the ServiceAccount volume (pilot-agent trusts
// the root it is given the same way, never the system roots), applies each version it is
// sent (listeners, routes, clusters, credentials; whole, or what changed merged into the last), serves Istio's status port 15021
// (/healthz/ready: 200 once the first configuration is applied) and writes Envoy's access log
// to stdout. A mesh proxy (a ztunnel: its configuration has a DNS table) also answers its
// node's meshed pods' DNS queries on ZTUNNEL_DNS_PORT (dns-proxy.ts) from then on. When istiod
// is away it keeps routing by the last configuration and asks again.

const RECONNECT_MS = 1000;

function say(level: 'info' | 'warn' | 'error', msg: string): void {
  (level === 'info' ? process.stdout : process.stderr).write(`${new Date().toISOString()}\t${level}\t${msg}\n`);
}

/** istiod's address: PROXY_CONFIG's discoveryAddress (mesh config), or istiod's Service. */
export function discoveryAddress(env: NodeJS.ProcessEnv): { host: string; port: number } {
  let address = `istiod.istio-system.svc:${ISTIOD_XDS_PORT}`;
  try {
    const pc = JSON.parse(env.PROXY_CONFIG ?? '{}') as { discoveryAddress?: string };
    if (pc.discoveryAddress) address = pc.discoveryAddress;
  } catch {
    say('warn', 'PROXY_CONFIG is not JSON; using the default discovery address');
  }
  const colon = address.lastIndexOf(':');
  const port = colon > 0 ? Number(address.slice(colon + 1)) : NaN;
  if (!Number.isInteger(port) || port <= 0 || port > 65535) return { host: colon > 0 ? address.slice(0, colon) : address, port: ISTIOD_XDS_PORT };
  return { host: address.slice(0, colon), port };
}

async function main(): Promise<void> {
  const accessLog = new AccessLogSink((chunk) => process.stdout.write(chunk));
  const proxy = new GatewayProxy(accessLog.write, process.env.ISTIO_META_HTTP10 === '1');
  // Writes to the log pipe are synchronous, so the last lines still leave on the way out.
  process.on('exit', accessLog.flush);
  const listeners = new GatewayListeners(proxy, (m) => say('warn', m));
  const dns = new DnsProxy(undefined, (m) => say('warn', m));
  let ready = false;
  let applying = Promise.resolve();
  const apply = (config: ProxyConfig) => {
    // One failed version must not stop the ones after it from being applied.
    applying = applying.catch((e: Error) => say('error', `applying configuration from istiod: ${e.message}`)).then(async () => {
      proxy.update(config);
      dns.update(config);
      await listeners.apply(config);
      if (config.dns && !dns.serving) await dns.listen(ZTUNNEL_DNS_PORT);
      if (!ready) {
        ready = true;
        notifyReady();
        say('info', `Envoy proxy is ready; configuration ${config.version} from istiod`);
      }
    });
  };
  const status = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/healthz/ready') res.writeHead(ready ? 200 : 503).end();
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => status.listen(STATUS_PORT, '0.0.0.0', () => r()));

  const { host, port } = discoveryAddress(process.env);
  // istiod serves the pod this token is bound to (istiod/discovery.ts); the kubelet rotates it.
  const token = fileTokenSource(join(SERVICE_ACCOUNT_DIR, 'token'));
  const ca = readFileSync(join(SERVICE_ACCOUNT_DIR, 'ca.crt'), 'utf8');
  let stopping = false;
  let current: http.ClientRequest | undefined;
  /** The configuration istiod last sent, which the next incremental push changes. */
  let held: ProxyConfig | undefined;
  const subscribe = () => {
    if (stopping) return;
    let buffered = '';
    let retried = false;
    const again = (why: string) => {
      if (retried || stopping) return;
      retried = true;
      say('warn', `xds: connection to ${host}:${port} ended (${why}); retrying`);
      setTimeout(subscribe, RECONNECT_MS);
    };
    current = https.get({ host, port, path: DISCOVERY_PATH, agent: false, ca, servername: host, headers: { authorization: `Bearer ${token()}` } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return again(`status ${res.statusCode}`);
      }
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffered += chunk;
        for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          let next: ProxyConfig;
          try {
            const sent = JSON.parse(line) as ProxyConfig | ProxyConfigDelta;
            if (isDelta(sent) && !held) throw new Error(`an incremental push (version ${sent.version}) before any configuration`);
            next = isDelta(sent) ? applyDelta(held!, sent) : sent;
          } catch (e) {
            // A change that cannot be merged leaves this proxy's configuration unknown to istiod: a new stream starts with the whole of it.
            say('error', `xds: configuration from istiod rejected: ${(e as Error).message}`);
            current?.destroy();
            return again('configuration rejected');
          }
          held = next;
          apply(next);
        }
      });
      res.on('end', () => again('closed by istiod'));
      res.on('error', (e) => again(e.message));
    });
    current.on('error', (e) => again(e.message));
  };
  subscribe();
  const stop = () => {
    if (stopping) return;
    stopping = true;
    ready = false;
    current?.destroy();
    const deadline = setTimeout(() => process.exit(0), 5000);
    deadline.unref();
    void Promise.allSettled([listeners.close(), dns.close(), new Promise<void>((r) => status.close(() => r()))]).finally(() => {
      proxy.close();
      process.exit(0);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().catch((e: Error) => {
    say('error', e.message);
    process.exit(1);
  });
}
