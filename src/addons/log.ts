import { verbose, type Logger, type LogLevel } from '../log.js';

// The add-ons log as the programs they stand in for do, since `kubectl logs` shows it: CoreDNS
// as `[INFO] msg`, ingress-nginx through klog. Both are Loggers, so the shared code (informers,
// the DNS server, the ingress proxy) logs the same way in either program. Fields follow the
// message as klog's structured logging writes them: ` key=value`, strings with spaces quoted.

function formatFields(fields: Record<string, unknown> = {}): string {
  let out = '';
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    const s = typeof v === 'string' ? v : JSON.stringify(v);
    out += ` ${k}=${typeof v === 'string' && /[\s"=]/.test(s) ? JSON.stringify(s) : s}`;
  }
  return out;
}

function streamOf(level: LogLevel): NodeJS.WriteStream {
  return level === 'info' || level === 'debug' ? process.stdout : process.stderr;
}

const COREDNS_LEVEL: Record<LogLevel, string> = { debug: 'DEBUG', info: 'INFO', warning: 'WARNING', error: 'ERROR' };

/** CoreDNS's log lines, each message after `prefix` (a plugin's, e.g. `plugin/kubernetes: `). */
export function coreDNSLogger(prefix = ''): Logger {
  return (level, msg, fields) => {
    if (level === 'debug' && !verbose) return;
    streamOf(level).write(`[${COREDNS_LEVEL[level]}] ${prefix}${msg}${formatFields(fields)}\n`);
  };
}

const KLOG_LEVEL: Record<LogLevel, string> = { debug: 'I', info: 'I', warning: 'W', error: 'E' };

/** klog's text format, as `component` writes it: `I1205 02:10:52.123000   4242 controller] msg`. */
export function klogLoggerFor(component: string): Logger {
  return (level, msg, fields) => {
    if (level === 'debug' && !verbose) return;
    const d = new Date();
    const p = (n: number, w = 2) => String(n).padStart(w, '0');
    const stamp = `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}000`;
    streamOf(level).write(`${KLOG_LEVEL[level]}${stamp} ${String(process.pid).padStart(7)} ${component}] ${msg}${formatFields(fields)}\n`);
  };
}

/** ingress-nginx's controller lines. */
export const klogLogger: Logger = klogLoggerFor('controller');
