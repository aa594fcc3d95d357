// Request-URI handling as nginx does it before choosing a location: the path is percent-decoded,
// `.` and `..` segments are resolved and runs of slashes merged (merge_slashes on). Locations
// are matched against that normalised path; the original URI is what goes upstream unless a
// rewrite replaces it.

export interface RequestTarget {
  /** The decoded, normalised path that locations are matched against. */
  path: string;
  /** Everything from `?` on, as received ('' when absent). */
  search: string;
}

function decodePercent(raw: string): string | undefined {
  if (raw.indexOf('%') < 0) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

/**
 * Splits and normalises a request-target. Returns undefined for a target nginx answers 400 to:
 * not origin-form, a bad escape, or `..` climbing above the root.
 */
export function parseRequestTarget(url: string): RequestTarget | undefined {
  let rawPath = url;
  let search = '';
  const q = url.indexOf('?');
  if (q >= 0) {
    rawPath = url.slice(0, q);
    search = url.slice(q);
  }
  if (rawPath.charCodeAt(0) !== 47 /* / */) {
    // absolute-form (`GET http://host/path`) is legal to a proxy; anything else is not.
    const m = /^https?:\/\/[^/]*(\/.*)?$/i.exec(rawPath);
    if (!m) return undefined;
    rawPath = m[1] ?? '/';
  }
  const decoded = decodePercent(rawPath);
  if (decoded === undefined) return undefined;
  const path = normalizePath(decoded);
  if (path === undefined) return undefined;
  return { path, search };
}

/** Resolves `.`/`..` and merges slashes; the fast path returns the input untouched. */
export function normalizePath(path: string): string | undefined {
  if (path.indexOf('//') < 0 && path.indexOf('/.') < 0) return path;
  const trailing = path.endsWith('/') || path.endsWith('/.') || path.endsWith('/..');
  const out: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length === 0) return undefined;
      out.pop();
      continue;
    }
    out.push(seg);
  }
  const joined = '/' + out.join('/');
  return trailing && joined !== '/' ? joined + '/' : joined;
}
