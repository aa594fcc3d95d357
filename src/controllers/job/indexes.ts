// Completed indexes of an Indexed Job as status.completedIndexes writes them: ascending,
// runs of three or more folded into "a-b" (orderedIntervals.String in pkg/controller/job/indexed_job_utils.go).

/** The indexes below `completions` that "0-2,4" names; malformed parts are skipped. */
export function parseIndexes(s: string | undefined, completions: number): Set<number> {
  const out = new Set<number>();
  for (const part of (s ?? '').split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) continue;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    for (let i = lo; i <= hi && i < completions; i++) out.add(i);
  }
  return out;
}

export function formatIndexes(set: Set<number>): string {
  const sorted = [...set].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    // A run of two is written "a,b", as upstream does; longer runs "a-b".
    if (j === i) parts.push(String(sorted[i]));
    else parts.push(`${sorted[i]}${j === i + 1 ? ',' : '-'}${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}
