// What each built-in image's own root holds beyond the stand-in programs: the base it is built
// FROM, the USER its config names, and what its Dockerfile adds to /etc/passwd, /etc/group and
// the tree. Keyed by the first of the image's names in catalog.ts (BUILTIN_IMAGES), so every
// catalog entry has exactly one root.
import type { BaseName, EtcAdditions } from './etc-files.js';
import type { DirSpec, LinkSpec } from './root-layouts.js';

export interface BuiltinRoot {
  base: BaseName;
  /** The image config's User, as written (`curl_user`, `65532`, `nonroot:nonroot`); '' runs as root. */
  user: string;
  etc?: EtcAdditions;
  dirs?: DirSpec[];
  links?: LinkSpec[];
}

// ingress-nginx images/nginx/rootfs/Dockerfile: `adduser -S -D -H -u 101 -h /usr/local/nginx
// -s /sbin/nologin -G www-data -g www-data www-data` on Alpine (whose www-data group is 82), then
// the write directories chowned to it; the controller's rootfs/Dockerfile adds its own.
const WWW_DATA = { uid: 101, gid: 82 };
const ingressWriteDirs = [
  '/etc/ingress-controller/auth', '/etc/ingress-controller/geoip', '/etc/ingress-controller/ssl',
  '/etc/ingress-controller/telemetry', '/tmp/nginx', '/var/lib/nginx/body', '/var/lib/nginx/fastcgi',
  '/var/lib/nginx/proxy', '/var/lib/nginx/scgi', '/var/lib/nginx/uwsgi', '/var/log/audit', '/var/log/nginx',
].map((path) => ({ path, mode: 0o755, ...WWW_DATA }));

/**
 * The root of a user-mapped image (user-images.ts), a host program declared as an image: the
 * busybox userland, with the host's system directories and the paths its entry names bound in
 * read-only (root-mounts.ts).
 */
export const HOST_PROGRAM_ROOT = 'skiff/host-program';

export const BUILTIN_ROOTS: Record<string, BuiltinRoot> = {
  [HOST_PROGRAM_ROOT]: { base: 'busybox', user: '' },
  // registry.k8s.io/echoserver:1.4 is FROM nginx-slim:0.8, itself FROM ubuntu-slim (16.04).
  echoserver: { base: 'debian-legacy', user: '' },
  // hashicorp/http-echo 1.0: FROM gcr.io/distroless/static-debian12:nonroot, whose User is "65532".
  'hashicorp/http-echo': { base: 'distroless', user: '65532' },
  // test/images/agnhost: FROM alpine (BASEIMAGE), `mkdir /uploads` for netexec, no USER.
  'e2e-test-images/agnhost': { base: 'alpine', user: '', dirs: [{ path: '/uploads', mode: 0o755 }] },
  // docker-nginx mainline/debian: `groupadd --system --gid 101 nginx; useradd --system --gid nginx
  // --no-create-home --home /nonexistent --comment "nginx user" --shell /bin/false --uid 101 nginx`;
  // the master runs as root (no USER) and drops to nginx in its workers.
  nginx: {
    base: 'debian',
    user: '',
    etc: { users: ['nginx:x:101:101:nginx user:/nonexistent:/bin/false'], groups: ['nginx:x:101:'] },
    dirs: [
      { path: '/docker-entrypoint.d', mode: 0o755 },
      { path: '/etc/nginx/conf.d', mode: 0o755 },
      { path: '/usr/share/nginx/html', mode: 0o755 },
      { path: '/var/cache/nginx', mode: 0o755 },
      { path: '/var/log/nginx', mode: 0o755 },
    ],
    links: [
      { path: '/var/log/nginx/access.log', target: '/dev/stdout' },
      { path: '/var/log/nginx/error.log', target: '/dev/stderr' },
    ],
  },
  busybox: { base: 'busybox', user: '' },
  // sixeyed/kiamol ch03/docker-images/sleep: FROM alpine, no USER.
  'kiamol/ch03-sleep': { base: 'alpine', user: '' },
  // curl/curl-container create_base_image.sh: `addgroup -S curl_group` (first free system gid:
  // 101), `adduser -S curl_user -G curl_group` (uid 100, busybox's defaults for a system user:
  // gecos "Linux User,,,", shell /bin/false, home created 2755); the image's User is curl_user.
  'curlimages/curl': {
    base: 'alpine',
    user: 'curl_user',
    etc: {
      users: ['curl_user:x:100:101:Linux User,,,:/home/curl_user:/bin/false'],
      groups: ['curl_group:x:101:'],
      members: [['curl_group', 'curl_user']],
    },
    dirs: [{ path: '/home/curl_user', mode: 0o2755, uid: 100, gid: 101 }],
  },
  // php:5-apache (Debian jessie): /var/www/html owned by www-data, no USER (apache drops to it).
  'hpa-example': { base: 'debian-legacy', user: '', dirs: [{ path: '/var/www/html', mode: 0o755, uid: 33, gid: 33 }] },
  // go-httpbin Dockerfile: FROM gcr.io/distroless/static:nonroot, whose User is "65532".
  'mccutchen/go-httpbin': { base: 'distroless', user: '65532' },
  // kennethreitz/httpbin: FROM ubuntu:18.04 (before merged /usr), no USER.
  'kennethreitz/httpbin': { base: 'debian-legacy', user: '' },
  // fortio Dockerfile: FROM scratch, no USER; the config and data VOLUMEs exist in the image.
  // distroless is the smallest base here: no shell, no userland, as in fortio's own image.
  'fortio/fortio': { base: 'distroless', user: '', dirs: [{ path: '/etc/fortio', mode: 0o755 }, { path: '/var/lib/fortio', mode: 0o755 }] },
  // samples/helloworld/src/Dockerfile: FROM python:3.12.1-slim (bookworm, merged /usr), no USER.
  'istio/examples-helloworld-v1': { base: 'debian', user: '', dirs: [{ path: '/opt/microservices', mode: 0o755 }] },
  'istio/examples-helloworld-v2': { base: 'debian', user: '', dirs: [{ path: '/opt/microservices', mode: 0o755 }] },
  // samples/tcp-echo/src/Dockerfile: FROM scratch (distroless with BASE_DISTRIBUTION=distroless), WORKDIR /bin/, no USER.
  'istio/tcp-echo-server': { base: 'distroless', user: '' },
  // coredns Dockerfile: FROM gcr.io/distroless/static-debian12:nonroot, USER nonroot:nonroot.
  'coredns/coredns': { base: 'distroless', user: 'nonroot:nonroot' },
  // metrics-server Dockerfile: FROM gcr.io/distroless/static, USER 65534.
  'metrics-server/metrics-server': { base: 'distroless', user: '65534' },
  // istio pilot and proxyv2: FROM istio's distroless base, USER 1337 (istio-proxy).
  'istio/pilot': { base: 'distroless', user: '1337' },
  'istio/proxyv2': { base: 'distroless', user: '1337' },
  // ingress-nginx rootfs/Dockerfile: FROM the ingress nginx image (Alpine), USER www-data.
  'ingress-nginx/controller': {
    base: 'alpine',
    user: 'www-data',
    etc: { users: ['www-data:x:101:82:www-data:/usr/local/nginx:/sbin/nologin'], members: [['www-data', 'www-data']] },
    dirs: [{ path: '/etc/nginx', mode: 0o755 }, { path: '/usr/local/nginx', mode: 0o755 }, ...ingressWriteDirs],
  },
};
