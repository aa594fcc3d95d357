/** Structured logs, one JSON object a line on stdout (stderr for warnings and errors); quiet by default, SKIFF_LOG=debug for more. */
export type LogLevel = 'debug' | 'info' | 'warning' | 'error';

/**
 * The one logger shape every component takes. The processes of the cluster log JSON lines
 * through `log`; an add-on passes its own, which writes the format of the program it stands in
 * for (CoreDNS, ingress-nginx), so the same code logs right in either place.
 */
export type Logger = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => void;

/** Whether debug lines are written (SKIFF_LOG=debug). */
export const verbose = process.env.SKIFF_LOG === 'debug';

export function logLine(level: LogLevel, msg: string, fields: Record<string, unknown> = {}): string {
  return JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }) + '\n';
}

export function log(level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void {
  if (level === 'debug' && !verbose) return;
  (level === 'info' || level === 'debug' ? process.stdout : process.stderr).write(logLine(level, msg, fields));
}

/** A logger that adds `fields` to every line, e.g. the node a component serves. */
export function withFields(logger: Logger, fields: Record<string, unknown>): Logger {
  return (level, msg, more) => logger(level, msg, { ...fields, ...more });
}
