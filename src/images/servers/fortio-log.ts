// fortio.org/log as fortio uses it: levels Debug..Fatal (`-loglevel`, Info by default), and,
// since a container's stderr is no terminal, one JSON object per line with the timestamp, level,
// goroutine, source file and line, message and attributes.

export const LEVELS = ['Debug', 'Verbose', 'Info', 'Warning', 'Error', 'Critical', 'Fatal'] as const;
const JSON_LEVELS = ['dbug', 'trace', 'info', 'warn', 'err', 'crit', 'fatal'];

export const DEBUG = 0;
export const VERBOSE = 1;
export const INFO = 2;
export const WARNING = 3;
export const ERROR = 4;

let level = INFO;

export function logLevel(): number {
  return level;
}

/** Whether messages of `lvl` are logged (log.Log). */
export function logs(lvl: number): boolean {
  return lvl >= level;
}

/** ValidateLevel: a level name in any case, or the error text. */
export function parseLevel(text: string): number | { error: string } {
  const i = LEVELS.findIndex((l) => l.toLowerCase() === text.trim().toLowerCase());
  if (i < 0 || i === LEVELS.length - 1) return { error: `should be one of [${LEVELS.join(' ')}]` };
  return i;
}

/** Where a message comes from in fortio's source, as its JSON lines name it. */
export interface Source {
  file: string;
  line: number;
}

export type Attrs = Record<string, string | number | boolean>;

/** A log line of `lvl` from `src`, if the level logs it; goroutine `r` (1 is main). */
export function log(lvl: number, src: Source, msg: string, attrs: Attrs = {}, r = 1): void {
  if (!logs(lvl)) return;
  const ts = ((performance.timeOrigin + performance.now()) / 1000).toFixed(6);
  const extra = Object.entries(attrs).map(([k, v]) => `,${JSON.stringify(k)}:${typeof v === 'string' ? JSON.stringify(v) : String(v)}`).join('');
  process.stderr.write(`{"ts":${ts},"level":"${JSON_LEVELS[lvl]}","r":${r},"file":${JSON.stringify(src.file)},"line":${src.line},"msg":${JSON.stringify(msg)}${extra}}\n`);
}

/** SetLogLevel: logs the change at Info (if Info was logged) and switches. */
export function setLogLevel(lvl: number): void {
  if (lvl === level) return;
  log(INFO, { file: 'logger.go', line: 350 }, `Log level is now ${lvl} ${LEVELS[lvl]} (was ${level} ${LEVELS[level]})`);
  level = lvl;
}

/** SetLogLevelQuiet: switches without saying so. */
export function setLogLevelQuiet(lvl: number): void {
  level = lvl;
}
