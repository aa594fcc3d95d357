// The built-in images: each public image's config (ENTRYPOINT, CMD) as published, with its
// server programs played by small Node scripts under ./servers and its shell userland by busybox.
import { fileURLToPath } from 'node:url';
import { appletArgv } from './busybox.js';
import type { ImageConfig } from './config.js';
import type { ImageReference } from './reference.js';

/** Where the cluster lives on the host, for images whose programs are cluster add-ons. */
export interface ImageContext {
  home: string;
  clusterDir: string;
}

interface BuiltinImage {
  /** Repository paths without registry host (see reference.ts lookupKeys). */
  names: string[];
  /** One of skiff's own add-on programs: always this image, whatever a registry holds under its name. */
  program?: boolean;
  config(ref: ImageReference, ctx: ImageContext): ImageConfig;
}

/**
 * V8 settings that keep an idle server small (one process per container, so resident memory is
 * what a pod costs): a 1 MB young generation and one background compiler/GC thread. Every such
 * thread allocates from a malloc arena of its own. 0 would not mean none: Node then sizes the pool
 * from the machine's parallelism (one thread on 2 cores, more on a larger machine).
 */
export const NODE_FLAGS = ['--max-semi-space-size=1', '--v8-pool-size=1'];
/**
 * The ingress controller allocates per request and keeps little: a young generation large
 * enough that requests in flight die before a scavenge measured fewer, shorter GC pauses
 * (bench/ingress.bench.ts). Its scavenges are done by the main thread alone: a parallel
 * scavenge hands work to V8's helper threads and waits for them, and on a busy machine of two
 * CPUs a helper that was preempted held a pause up for milliseconds. The mesh proxy at 1,000
 * requests/s (3 alternating pairs of 10 s runs, load 2-3.3): pauses p90 0.61-1.34 ms, max
 * 2.3-13.1 ms, 19-41 ms in all with parallel scavenges; p90 0.26-0.52 ms, max 0.66-1.57 ms,
 * 13-15 ms in all without (the young generation holds little that survives: nothing to share out).
 */
export const INGRESS_NODE_FLAGS = ['--max-semi-space-size=32', '--no-parallel-scavenge'];
/**
 * metrics-server's memory is a budget (issue 14: 15 MB with the HPA controller) and its CPU is a
 * few milliseconds a scrape: V8's lite mode (no optimizing compiler, no executable code pages,
 * feedback allocated lazily) took 1.3 MB off its private memory at 100 pods
 * (bench/metrics.bench.ts). Lite mode has no WebAssembly, which the program does not use; saying
 * so keeps V8's warning about the conflicting flag out of the container's log. `gc` is exposed for
 * the program to collect after each scrape (addons/metrics-server/main.ts says why).
 */
export const METRICS_SERVER_NODE_FLAGS = [...NODE_FLAGS, '--lite-mode', '--no-expose-wasm', '--expose-gc'];

export function serverScript(name: string): string {
  return fileURLToPath(new URL(`./servers/${name}.js`, import.meta.url));
}

function node(script: string, ...extra: string[]): string[] {
  return [process.execPath, ...NODE_FLAGS, serverScript(script), ...extra];
}

/** An add-on program of src/addons, run as the image's binary. */
export function addonScript(path: string): string {
  return fileURLToPath(new URL(`../addons/${path}.js`, import.meta.url));
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * An image's entrypoint shell script, run by busybox sh. `rewrite` maps the image's own
 * program names to the argv that plays them (in the container's paths once the image's mounts
 * translate it, index.ts containerArgv), since `exec "$@"` finds only what the root holds.
 */
function entrypointScript(name: string, body: string, rewrite: Record<string, string[]> = {}): string[] {
  const cases = Object.entries(rewrite)
    .map(([names, argv]) => `  ${names}) shift; set -- ${argv.map(shellQuote).join(' ')} "$@" ;;\n`)
    .join('');
  const script = `set -e\n${body}\n${cases ? `case "$1" in\n${cases}esac\n` : ''}exec "$@"\n`;
  return appletArgv('sh', ['-c', script, name]);
}

function aliases(names: string[], argv: string[]): Record<string, string[]> {
  return Object.fromEntries(names.map((n) => [n, argv]));
}

/** Last release of an nginx minor line, for `nginx:1.27`-style tags; `latest` & co. get the newest. */
const NGINX_RELEASES: Record<string, string> = {
  '1.14': '1.14.2', '1.15': '1.15.12', '1.16': '1.16.1', '1.17': '1.17.10', '1.18': '1.18.0',
  '1.19': '1.19.10', '1.20': '1.20.2', '1.21': '1.21.6', '1.22': '1.22.1', '1.23': '1.23.4',
  '1.24': '1.24.0', '1.25': '1.25.5', '1.26': '1.26.3', '1.27': '1.27.5', '1.28': '1.28.0', '1.29': '1.29.1',
};
const NGINX_LATEST = '1.29.1';

export function nginxVersion(tag: string | undefined): string {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(tag ?? '');
  if (!m) return NGINX_LATEST;
  if (m[3] !== undefined) return `${m[1]}.${m[2]}.${m[3]}`;
  return NGINX_RELEASES[`${m[1]}.${m[2]}`] ?? `${m[1]}.${m[2]}.0`;
}

// docker-library/nginx's /docker-entrypoint.sh, as far as its output goes: the configuration
// scripts it runs only touch files this host does not have.
const NGINX_ENTRYPOINT_LOG = [
  '$0: /docker-entrypoint.d/ is not empty, will attempt to perform configuration',
  '$0: Looking for shell scripts in /docker-entrypoint.d/',
  '$0: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh',
  '10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf',
  '10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf',
  '$0: Sourcing /docker-entrypoint.d/15-local-resolvers.envsh',
  '$0: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh',
  '$0: Launching /docker-entrypoint.d/30-tune-worker-processes.sh',
  '$0: Configuration complete; ready for start up',
];

/** Debian's curl (scripts/install-deps.sh installs it), the curl of the curl image. */
export const HOST_CURL = '/usr/bin/curl';

/** fortio's version for a tag: `1.69.5` and `v1.69.5` name it; `latest_release` & co. get the newest. */
export function fortioVersion(tag: string | undefined): string {
  return /^v?(\d+\.\d+\.\d+)$/.exec(tag ?? '')?.[1] ?? '1.75.2';
}

/**
 * Istio's samples/helloworld/src: FROM python:3.12.1-slim, WORKDIR /opt/microservices, curl
 * installed, ENV SERVICE_VERSION from the build argument, CMD ["gunicorn", "-b", "[::]:5000",
 * "app:app", "-k", "gevent"]; published as docker.io/istio/examples-helloworld-vN and
 * registry.istio.io/release/examples-helloworld-vN.
 */
function helloworld(version: 'v1' | 'v2'): BuiltinImage {
  return {
    names: [`istio/examples-helloworld-${version}`, `registry.istio.io/release/examples-helloworld-${version}`],
    config: () => ({
      entrypoint: [],
      cmd: ['gunicorn', '-b', '[::]:5000', 'app:app', '-k', 'gevent'],
      env: {
        PATH: '/usr/local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        LANG: 'C.UTF-8',
        PYTHON_VERSION: '3.12.1',
        SERVICE_VERSION: version,
      },
      workingDir: '/opt/microservices',
      binaries: { ...aliases(['gunicorn', '/usr/local/bin/gunicorn'], node('helloworld')), '/usr/bin/curl': [HOST_CURL] },
    }),
  };
}

const SLEEP_FOREVER = 'exec /bin/sh -c "trap : TERM INT; (while true; do sleep 1000; done) & wait"';

export const BUILTIN_IMAGES: BuiltinImage[] = [
  {
    // registry.k8s.io/echoserver:1.4: nginx 1.10 + lua printing the request back.
    names: ['echoserver', 'google_containers/echoserver', 'google-containers/echoserver'],
    config: () => ({
      entrypoint: [],
      cmd: ['nginx', '-g', 'daemon off;'],
      // Users debug from inside it (`kubectl exec deploy/www -- nslookup abc`, `-- curl …`,
      // scenario 000): it has a shell userland and curl.
      binaries: { ...aliases(['nginx', '/usr/sbin/nginx'], node('echoserver')), '/usr/bin/curl': [HOST_CURL] },
    }),
  },
  {
    names: ['hashicorp/http-echo'],
    config: () => ({ entrypoint: ['/http-echo'], cmd: [], binaries: aliases(['/http-echo', 'http-echo'], node('http-echo')) }),
  },
  {
    // Alpine-based; ENTRYPOINT ["/agnhost"], CMD ["pause"] (test/images/agnhost/Dockerfile).
    names: ['e2e-test-images/agnhost', 'kubernetes-e2e-test-images/agnhost'],
    config: () => ({
      entrypoint: ['/agnhost'],
      cmd: ['pause'],
      binaries: aliases(['/agnhost', '/agnhost-2', 'agnhost', 'agnhost-2'], node('agnhost')),
    }),
  },
  {
    names: ['nginx'],
    config: (ref) => {
      const version = nginxVersion(ref.tag);
      const server = node('nginx', `--skiff-nginx-version=${version}`);
      const programs = ['nginx', 'nginx-debug', '/usr/sbin/nginx', '/usr/sbin/nginx-debug'];
      const log = NGINX_ENTRYPOINT_LOG.map((l) => `  [ -n "\${NGINX_ENTRYPOINT_QUIET_LOGS:-}" ] || echo "${l}"`).join('\n');
      return {
        entrypoint: ['/docker-entrypoint.sh'],
        cmd: ['nginx', '-g', 'daemon off;'],
        env: { NGINX_VERSION: version },
        binaries: {
          ...aliases(programs, server),
          '/docker-entrypoint.sh': entrypointScript(
            '/docker-entrypoint.sh',
            `if [ "$1" = nginx ] || [ "$1" = nginx-debug ]; then\n${log}\nfi`,
            { [programs.join('|')]: server },
          ),
        },
      };
    },
  },
  {
    names: ['busybox'],
    config: () => ({ entrypoint: [], cmd: ['sh'] }),
  },
  {
    // sixeyed/kiamol ch03/docker-images/sleep: Alpine with a shell-form CMD that idles.
    names: ['kiamol/ch03-sleep'],
    config: () => ({ entrypoint: [], cmd: ['/bin/sh', '-c', SLEEP_FOREVER] }),
  },
  {
    // curl/curl-container: ENTRYPOINT ["/entrypoint.sh"], CMD ["curl"]; options alone run curl.
    // Its curl is the host's, at the image's /usr/bin/curl.
    names: ['curlimages/curl', 'curl/curl'],
    config: () => ({
      entrypoint: ['/entrypoint.sh'],
      cmd: ['curl'],
      binaries: {
        '/usr/bin/curl': [HOST_CURL],
        '/entrypoint.sh': entrypointScript(
          '/entrypoint.sh',
          'if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ]; then\n  set -- curl "$@"\nfi',
        ),
      },
    }),
  },
  {
    // php:5-apache with index.php computing sqrt in a loop.
    names: ['hpa-example', 'google_containers/hpa-example', 'google-containers/hpa-example'],
    config: () => {
      const apache = node('hpa-example');
      const programs = ['apache2-foreground', '/usr/local/bin/apache2-foreground'];
      return {
        entrypoint: ['docker-php-entrypoint'],
        cmd: ['apache2-foreground'],
        binaries: {
          ...aliases(programs, apache),
          ...aliases(
            ['docker-php-entrypoint', '/usr/local/bin/docker-php-entrypoint'],
            entrypointScript('docker-php-entrypoint', 'if [ "${1#-}" != "$1" ]; then\n  set -- apache2-foreground "$@"\nfi', {
              [programs.join('|')]: apache,
            }),
          ),
        },
      };
    },
  },
  {
    // mccutchen/go-httpbin (Dockerfile): FROM distroless/static:nonroot, /bin/go-httpbin as CMD,
    // listening on 8080; Istio's samples/httpbin runs v2.15.0.
    names: ['mccutchen/go-httpbin'],
    config: () => ({ entrypoint: [], cmd: ['/bin/go-httpbin'], binaries: aliases(['/bin/go-httpbin', 'go-httpbin'], node('httpbin')) }),
  },
  {
    // kennethreitz/httpbin: Ubuntu 18.04 with python3 and pipenv, CMD ["gunicorn", "-b",
    // "0.0.0.0:80", "httpbin:app", "-k", "gevent"]; older Istio samples and tasks run it (and
    // docker.io/istio/httpbin) with their own gunicorn command. The endpoints are go-httpbin's.
    names: ['kennethreitz/httpbin', 'istio/httpbin'],
    config: () => ({
      entrypoint: [],
      cmd: ['gunicorn', '-b', '0.0.0.0:80', 'httpbin:app', '-k', 'gevent'],
      binaries: aliases(['gunicorn', '/usr/local/bin/gunicorn'], node('httpbin', '--skiff-gunicorn')),
    }),
  },
  {
    // fortio/fortio (Dockerfile): FROM scratch with /usr/bin/fortio, ENTRYPOINT
    // ["/usr/bin/fortio"], CMD ["server", "-config-dir", "/etc/fortio"], WORKDIR /var/lib/fortio.
    names: ['fortio/fortio'],
    config: (ref) => ({
      entrypoint: ['/usr/bin/fortio'],
      cmd: ['server', '-config-dir', '/etc/fortio'],
      workingDir: '/var/lib/fortio',
      binaries: aliases(['/usr/bin/fortio', 'fortio'], node('fortio', `--skiff-fortio-version=${fortioVersion(ref.tag)}`)),
    }),
  },
  helloworld('v1'),
  helloworld('v2'),
  {
    // Istio's samples/tcp-echo/src (docker.io/istio/tcp-echo-server): FROM scratch, WORKDIR /bin/,
    // ENTRYPOINT ["/bin/tcp-echo"], CMD ["9000", "hello"]; its manifests pass ["9000,9001,9002", "one"].
    names: ['istio/tcp-echo-server'],
    config: () => ({
      entrypoint: ['/bin/tcp-echo'],
      cmd: ['9000', 'hello'],
      workingDir: '/bin/',
      binaries: aliases(['/bin/tcp-echo', 'tcp-echo'], node('tcp-echo')),
    }),
  },
  {
    // registry.k8s.io/coredns/coredns: FROM scratch, ENTRYPOINT ["/coredns"], no CMD. The cluster
    // DNS program reaches the API from its pod (in-cluster config, its ServiceAccount's token),
    // so the image adds nothing to the Deployment's args.
    names: ['coredns/coredns', 'coredns'],
    program: true,
    config: () => {
      const coredns = [process.execPath, ...NODE_FLAGS, addonScript('dns/main')];
      return { entrypoint: ['/coredns'], cmd: [], binaries: aliases(['/coredns', 'coredns'], coredns), notifyReady: true };
    },
  },
  {
    // registry.k8s.io/metrics-server/metrics-server (Dockerfile): distroless, ENTRYPOINT
    // ["/metrics-server"]; components.yaml passes every flag as args. The program reaches the API
    // from its pod (in-cluster config) and the kubelets on the nodes' addresses.
    names: ['metrics-server/metrics-server'],
    program: true,
    config: () => {
      const server = [process.execPath, ...METRICS_SERVER_NODE_FLAGS, addonScript('metrics-server/main')];
      return { entrypoint: ['/metrics-server'], cmd: [], binaries: aliases(['/metrics-server', 'metrics-server'], server), notifyReady: true };
    },
  },
  {
    // registry.k8s.io/ingress-nginx/controller (rootfs/Dockerfile): ENTRYPOINT
    // ["/usr/bin/dumb-init", "--"], CMD ["/nginx-ingress-controller"]; the Deployment's args
    // start with the controller's path. The ingress controller program reaches the API from its
    // pod as the DNS program does (in-cluster config), so only upstream's flags reach it.
    // It is a proxy on every request's path: it runs with V8's default heap and helper threads
    // (NODE_FLAGS trade throughput for an idle server's size).
    names: ['ingress-nginx/controller', 'ingress-nginx/controller-chroot'],
    program: true,
    config: () => {
      const controller = [process.execPath, ...INGRESS_NODE_FLAGS, addonScript('ingress/main')];
      const programs = ['/nginx-ingress-controller', 'nginx-ingress-controller'];
      return {
        entrypoint: ['/usr/bin/dumb-init', '--'],
        cmd: ['/nginx-ingress-controller'],
          notifyReady: true,
        binaries: {
          ...aliases(programs, controller),
          // dumb-init only forwards signals to its child; exec hands them to the program directly.
          ...aliases(['/usr/bin/dumb-init', 'dumb-init'], entrypointScript('/usr/bin/dumb-init', 'if [ "$1" = -- ]; then shift; fi', { [programs.join('|')]: controller })),
        },
      };
    },
  },
  {
    // docker.io/istio/pilot: ENTRYPOINT ["/usr/local/bin/pilot-discovery"]; the Deployment's args
    // start with `discovery`. istiod reaches the API from its pod (in-cluster config).
    names: ['istio/pilot'],
    program: true,
    config: () => {
      const istiod = [process.execPath, ...NODE_FLAGS, addonScript('istio/istiod/main')];
      return { entrypoint: ['/usr/local/bin/pilot-discovery'], cmd: [], notifyReady: true, binaries: aliases(['/usr/local/bin/pilot-discovery', 'pilot-discovery'], istiod) };
    },
  },
  {
    // docker.io/istio/proxyv2: ENTRYPOINT ["/usr/local/bin/pilot-agent"]; `proxy router` runs a
    // gateway. pilot-agent and Envoy are one program here, on every request's path, so it gets
    // the ingress controller's V8 settings.
    names: ['istio/proxyv2'],
    program: true,
    config: () => {
      const agent = [process.execPath, ...INGRESS_NODE_FLAGS, addonScript('istio/gateway/main')];
      return { entrypoint: ['/usr/local/bin/pilot-agent'], cmd: [], notifyReady: true, binaries: aliases(['/usr/local/bin/pilot-agent', 'pilot-agent'], agent) };
    },
  },
];
