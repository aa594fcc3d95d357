/** Structured logs, one JSON object a line; quiet by default (SKIFF_LOG=debug for more). */
type Level = 'debug' | 'info' | 'error';

const verbose = process.env.SKIFF_LOG === 'debug';

export function log(level: Level, msg: string, fields: Record<string, unknown> = {}): void {
  if (level === 'debug' && !verbose) return;
  const line = JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields });
  if (level === 'error') process.stderr.write(line + '\n');
  else process.stdout.write(line + '\n');
}
