// Debian's nginx as the reference reverse proxy of the proxy benchmarks, configured as
// ingress-nginx's nginx would be for this load: HTTP/1.1 keep-alive to the upstream
// (upstream-keepalive-connections 320), the same forwarded headers, worker_processes auto (or
// BENCH_NGINX_WORKERS), no access log. It runs where the proxy under test runs: in a pod's network
// namespace and cgroups, so it shares the cluster's CPU with the pods exactly as that pod does.
// It is started from a config in a temp dir of its own and stopped by its pid.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectCgroups, procsFiles } from '../src/node/kubelet/runtime/cgroups.js';
import { netnsPath, podNetns } from '../src/node/network/names.js';

const NGINX = '/usr/sbin/nginx';
export const NGINX_WORKERS = process.env.BENCH_NGINX_WORKERS ?? 'auto';

function nginxConfig(dir: string, port: number, host: string, upstream: string): string {
  return `worker_processes ${NGINX_WORKERS};
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 16384; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_timeout 75s;
  keepalive_requests 1000;
  upstream backend {
    server ${upstream} max_fails=0;
    keepalive 320;
    keepalive_timeout 60s;
    keepalive_requests 10000;
  }
  server {
    listen ${port} reuseport backlog=4096;
    server_name ${host};
    location / {
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Request-ID $request_id;
      proxy_set_header X-Real-IP $remote_addr;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Forwarded-Host $host;
      proxy_set_header X-Forwarded-Port $server_port;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Scheme $scheme;
      proxy_connect_timeout 5s;
      proxy_send_timeout 60s;
      proxy_read_timeout 60s;
      proxy_buffering off;
      proxy_pass http://backend;
    }
  }
}
`;
}

export interface ReferenceNginx {
  port: number;
  stop(): Promise<void>;
}

export function requireNginx(): void {
  if (spawnSync(NGINX, ['-v']).status !== 0) throw new Error(`${NGINX} is missing: run scripts/install-deps.sh as root`);
}

/**
 * Starts nginx for `host` → `upstream` in the network namespace and cgroups of pod `podUid` of
 * cluster `clusterName`, on a random port. The process is nginx itself (the shell joins the
 * cgroups, then execs nsenter, which execs nginx).
 */
export function startNginx(clusterName: string, podUid: string, host: string, upstream: string): ReferenceNginx {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-nginx-'));
  const port = 20000 + Math.floor(Math.random() * 10000);
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, nginxConfig(dir, port, host, upstream));
  const joinCgroups = procsFiles(detectCgroups(), clusterName, podUid).map((f) => `echo $$ > ${f}`).join(' && ');
  const p = spawn('sh', ['-c', `${joinCgroups} && exec nsenter --net=${netnsPath(podNetns(clusterName, podUid))} ${NGINX} -p ${dir} -c ${conf}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  p.stderr?.on('data', (d: Buffer) => process.stderr.write(`nginx: ${d}`));
  return { port, stop: () => stopNginx(p).finally(() => rmSync(dir, { recursive: true, force: true })) };
}

async function stopNginx(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null || p.pid === undefined) return;
  const gone = new Promise<void>((res) => p.once('exit', () => res()));
  process.kill(p.pid, 'SIGQUIT');
  const timer = setTimeout(() => p.pid !== undefined && p.exitCode === null && process.kill(p.pid, 'SIGKILL'), 5000);
  await gone;
  clearTimeout(timer);
}
