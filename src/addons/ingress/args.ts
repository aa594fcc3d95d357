import { parseGoFlags } from '../flags.js';

// The flags of /nginx-ingress-controller that matter here, in Go's flag syntax (`--x=v`,
// `-x=v`, `--x v` for value flags, `--x` alone for booleans). Flags this controller has no use
// for (election, webhooks, metrics…) are accepted and ignored so upstream manifests run as they
// are; an unknown value flag given as `--x v` would swallow `v`, so upstream's `=` form is what
// the add-on uses.

export interface ControllerArgs {
  /** `namespace/name` of the Service whose address is published to Ingress status. */
  publishService?: string;
  ingressClass: string;
  controllerClass: string;
  configmap?: string;
  httpPort: number;
  httpsPort: number;
  healthzPort: number;
  /** Listen address (skiff only; the pod listens on all of its addresses). */
  bindAddress: string;
}

const VALUE_FLAGS = new Set([
  'publish-service', 'ingress-class', 'controller-class', 'configmap', 'election-id',
  'http-port', 'https-port', 'healthz-port', 'default-ssl-certificate', 'default-backend-service',
  'watch-namespace', 'tcp-services-configmap', 'udp-services-configmap', 'validating-webhook',
  'validating-webhook-certificate', 'validating-webhook-key', 'v', 'skiff-bind-address', 'status-port',
]);

function port(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`invalid value "${value}" for flag --${name}: port must be an integer between 0 and 65535`);
  return n;
}

export function parseControllerArgs(argv: string[]): ControllerArgs {
  const values = new Map<string, string>();
  for (const a of parseGoFlags(argv, VALUE_FLAGS)) {
    if (a.kind === 'positional') {
      // The program's own path: the Deployment's args start with it (after the image's flag).
      if (/(^|\/)nginx-ingress-controller$/.test(a.value)) continue;
      throw new Error(`unexpected argument ${JSON.stringify(a.value)}`);
    }
    if (a.value === undefined && VALUE_FLAGS.has(a.name)) throw new Error(`flag needs an argument: --${a.name}`);
    values.set(a.name, a.value ?? 'true');
  }
  return {
    publishService: values.get('publish-service'),
    ingressClass: values.get('ingress-class') ?? 'nginx',
    controllerClass: values.get('controller-class') ?? 'k8s.io/ingress-nginx',
    configmap: values.get('configmap'),
    httpPort: port('http-port', values.get('http-port') ?? '80'),
    httpsPort: port('https-port', values.get('https-port') ?? '443'),
    healthzPort: port('healthz-port', values.get('healthz-port') ?? '10254'),
    bindAddress: values.get('skiff-bind-address') ?? '0.0.0.0',
  };
}
