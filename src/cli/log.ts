// Structured log lines of the control-plane process: one JSON object per line on stdout, which
// `skiff up` points at the cluster's log file.

export type LogLevel = 'info' | 'error';

export function logLine(level: LogLevel, msg: string, fields: Record<string, unknown> = {}): string {
  return JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }) + '\n';
}

export function log(level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(logLine(level, msg, fields));
}
