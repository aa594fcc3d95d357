import { readFileSync } from 'node:fs';

// Whether a pid names a process that still runs. A zombie does not: it has exited and only waits
// for its parent to reap it, which for the detached processes skiff starts (node agents, the
// host-port publisher, container shims once their agent is gone) is the machine's init. An init
// that reaps lazily kept `skiff stop` and `skiff down` waiting about two seconds per stage on
// processes that had already exited, when kill(pid, 0) was the test.

export function running(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  // `pid (comm) state …`: comm may hold spaces and parentheses, so the state follows the last `)`.
  const state = stat.charAt(stat.lastIndexOf(')') + 2);
  return state !== 'Z' && state !== 'X' && state !== '';
}
