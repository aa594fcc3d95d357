// metrics-server's flags (cmd/metrics-server/app/options), the ones components.yaml passes and
// the ones users add to it. Flags it accepts but that change nothing here are listed as such.
import { parseGoDuration } from '../../api/duration.js';
import { parseGoFlags } from '../flags.js';

export interface MetricsServerArgs {
  certDir: string;
  /** --tls-cert-file and --tls-private-key-file: the serving certificate; without them one is generated. */
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  securePort: number;
  /** --metric-resolution: how often every node is scraped (ms). */
  resolutionMs: number;
  /** --kubelet-preferred-address-types, in order. */
  addressTypes: string[];
  /** --kubelet-use-node-status-port: the port from status.daemonEndpoints instead of --kubelet-port. */
  useNodeStatusPort: boolean;
  kubeletPort: number;
  kubeletInsecureTLS: boolean;
}

/** Flags metrics-server takes whose effect is upstream's own machinery (logging, TLS tuning, authn delegation). */
const ACCEPTED = new Set(['v', 'logtostderr', 'tls-cipher-suites', 'tls-min-version', 'authorization-always-allow-paths', 'requestheader-client-ca-file', 'kubelet-request-timeout']);

/** The flags that take a value (the others are booleans, `--name` or `--name=false`). */
const VALUE_FLAGS = new Set([
  'cert-dir', 'tls-cert-file', 'tls-private-key-file', 'secure-port', 'metric-resolution', 'kubelet-preferred-address-types', 'kubelet-port',
  'v', 'tls-cipher-suites', 'tls-min-version', 'authorization-always-allow-paths', 'requestheader-client-ca-file', 'kubelet-request-timeout',
]);

export function parseMetricsServerArgs(argv: string[]): MetricsServerArgs {
  const a: MetricsServerArgs = {
    certDir: 'apiserver.local.config/certificates',
    securePort: 10250,
    resolutionMs: 60_000,
    addressTypes: ['Hostname', 'InternalDNS', 'InternalIP', 'ExternalDNS', 'ExternalIP'],
    useNodeStatusPort: false,
    kubeletPort: 10250,
    kubeletInsecureTLS: false,
  };
  for (const arg of parseGoFlags(argv, VALUE_FLAGS)) {
    if (arg.kind === 'positional') throw new Error(`unexpected argument ${JSON.stringify(arg.value)}`);
    const { name, value = 'true' } = arg;
    const int = () => {
      if (!/^\d+$/.test(value)) throw new Error(`invalid argument "${value}" for "--${name}" flag: strconv.ParseInt: parsing "${value}": invalid syntax`);
      return Number(value);
    };
    if (name === 'cert-dir') a.certDir = value;
    else if (name === 'tls-cert-file') a.tlsCertFile = value;
    else if (name === 'tls-private-key-file') a.tlsPrivateKeyFile = value;
    else if (name === 'secure-port') a.securePort = int();
    else if (name === 'metric-resolution') {
      const ms = parseGoDuration(value);
      if (ms === undefined) throw new Error(`invalid argument "${value}" for "--metric-resolution" flag: time: invalid duration "${value}"`);
      if (ms < 10_000) throw new Error(`metric-resolution should be a time duration at least 10s, but value ${value} provided`);
      a.resolutionMs = ms;
    } else if (name === 'kubelet-preferred-address-types') a.addressTypes = value.split(',').filter(Boolean);
    else if (name === 'kubelet-use-node-status-port') a.useNodeStatusPort = value !== 'false';
    else if (name === 'kubelet-port') a.kubeletPort = int();
    else if (name === 'kubelet-insecure-tls') a.kubeletInsecureTLS = value !== 'false';
    else if (!ACCEPTED.has(name)) throw new Error(`unknown flag: --${name}`);
  }
  return a;
}
