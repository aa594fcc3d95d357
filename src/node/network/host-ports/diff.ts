// From the listeners the publisher holds to the ones the Services want: what to close, what to
// open, and which open listeners only need to send their connections somewhere else. A listener
// is never closed and opened again for a change of target, so the port stays bound throughout.
import type { Listener } from './wanted.js';

export interface ListenerDiff {
  /** Keys of listeners nobody wants any more. */
  close: string[];
  /** Listeners to bind. */
  open: Listener[];
  /** Bound listeners whose target or owner changed. */
  update: Listener[];
}

function sameListener(a: Listener, b: Listener): boolean {
  return (
    a.target.host === b.target.host &&
    a.target.port === b.target.port &&
    a.serviceUID === b.serviceUID &&
    a.service === b.service &&
    a.servicePort === b.servicePort &&
    a.serviceType === b.serviceType &&
    a.role === b.role
  );
}

export function diffListeners(current: ReadonlyMap<string, Listener>, wanted: readonly Listener[]): ListenerDiff {
  const diff: ListenerDiff = { close: [], open: [], update: [] };
  const wantedKeys = new Set<string>();
  for (const w of wanted) {
    wantedKeys.add(w.key);
    const have = current.get(w.key);
    if (!have) diff.open.push(w);
    else if (!sameListener(have, w)) diff.update.push(w);
  }
  for (const key of current.keys()) if (!wantedKeys.has(key)) diff.close.push(key);
  return diff;
}
