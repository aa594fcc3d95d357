/** Structured logs, one JSON object a line on stdout (stderr for errors); quiet by default, SKIFF_LOG=debug for more. */
export type LogLevel = 'debug' | 'info' | 'error';

const verbose = process.env.SKIFF_LOG === 'debug';

export function logLine(level: LogLevel, msg: string, fields: Record<string, unknown> = {}): string {
  return JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }) + '\n';
}

export function log(level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void {
  if (level === 'debug' && !verbose) return;
  (level === 'error' ? process.stderr : process.stdout).write(logLine(level, msg, fields));
}
