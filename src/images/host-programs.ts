// What the host's programs say about themselves (busybox's applet lists, whether a busybox's
// shell searches PATH, the shared libraries ldd finds for node and busybox) is learnt by running
// them: about a dozen processes, and 50–100 ms on the event loop of each agent at its first
// container with a busybox userland. The answers are kept for the machine in
// <home>/cache/host-programs.json, keyed by the command, with the identity (inode, size, mtime)
// of each file it is about: an upgraded busybox or node is asked again, and its answer replaces
// the old one.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface ProgramAnswer {
  /** The exit status; null when the program could not run or died by a signal. */
  status: number | null;
  stdout: string;
  /** Why it could not run (spawn's error), if it could not. */
  error?: string;
}

/** An answer and the identities of the files it was given for. */
interface Kept {
  files: string;
  answer: ProgramAnswer;
}

let file: string | undefined;
let answers: Record<string, Kept> | undefined;

/** Keeps answers in `home`'s cache from now on (the agent and `skiff up` call it); without it, every process asks. */
export function keepHostProgramAnswers(home: string): void {
  const next = join(home, 'cache', 'host-programs.json');
  if (next === file) return;
  file = next;
  answers = undefined;
}

function identity(path: string): string {
  try {
    const st = statSync(path);
    return `${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return 'missing';
  }
}

function load(): Record<string, Kept> {
  if (answers) return answers;
  answers = {};
  if (!file) return answers;
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      // Entries of the earlier layout (keyed by the identities too) are dropped with the next write.
      answers = Object.fromEntries(Object.entries(parsed as Record<string, Kept>).filter(([, v]) => typeof v?.files === 'string'));
    }
  } catch {
    // none yet, or unreadable: asked again and rewritten
  }
  return answers;
}

function save(): void {
  if (!file || !answers) return;
  // Written aside and renamed: a reader sees the old file or the new one. Two writers at once
  // keep the last one's answers; the other's are asked again later.
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(tmp, JSON.stringify(answers));
    renameSync(tmp, file);
  } catch {
    // a cache: the answer is still used by this process
  }
}

/**
 * Runs `program args` (with `env` if given) and returns what it printed and its status, or the
 * answer kept from an earlier run while `program` and each file in `about` are unchanged.
 */
export function askProgram(program: string, args: string[], about: string[], env?: Record<string, string>): ProgramAnswer {
  const key = JSON.stringify([program, args, env ?? null]);
  const files = [program, ...about].map((p) => `${p}=${identity(p)}`).join('\n');
  const kept = load()[key];
  if (kept?.files === files && kept.answer) return kept.answer;
  const r = spawnSync(program, args, { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'ignore'] });
  const answer: ProgramAnswer = { status: r.status, stdout: r.stdout ?? '' };
  if (r.error) answer.error = r.error.message;
  load()[key] = { files, answer };
  save();
  return answer;
}
