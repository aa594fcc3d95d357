// rewrite-target and x-forwarded-prefix.
//
//   locationRegex(path: string): RegExp
//     How ingress-nginx matches a path when use-regex/rewrite-target is in force on the host:
//     `location ~* "^<path>"`, case-insensitive and anchored only at the start.
//   rewriteTarget(rewrite: RewriteAnnotations, locationPath: string, uri: string, args: string)
//     : { uri: string; args: string } | undefined
//     `rewrite "(?i)<locationPath>" <target> break;` as nginx runs it: the first match of the
//     (unanchored, case-insensitive) path regex in the normalized path `uri` supplies $1..$9
//     (a group that did not take part is empty) and the whole URI becomes the target. The
//     query (`args`, without "?") is kept; a "?" in the target replaces it, with the old
//     query appended after "&" unless the target ends in "?". undefined when rewrite-target
//     is unset or the regex does not match (the URI is then passed unchanged).
//   escapeRewrittenUri(uri: string): string
//     nginx matches and rewrites the decoded path ($uri) and, because the URI changed, sends
//     it upstream re-escaped with its NGX_ESCAPE_URI set: control characters, space, "#",
//     "%", "?", DEL and every non-ASCII byte (UTF-8) become %XX, nothing else. Apply it to
//     the uri rewriteTarget returns when rewriteTarget was given a decoded path.
//   forwardedPrefixHeader(rewrite: RewriteAnnotations): string | undefined
//     value for the X-Forwarded-Prefix request header sent upstream (the annotation's value).
//
// The request path calls rewriteTarget after the location has been chosen and every
// short-circuit policy has passed, just before proxying; the upstream request line is then
// `uri + (args ? '?' + args : '')`.

import type { RewriteAnnotations } from '../annotations.js';
import { compilePcre } from './regex.js';

// Compiled once per path: routes are rebuilt on every change but paths rarely differ.
const locationCache = new Map<string, RegExp>();
const rewriteCache = new Map<string, RegExp>();

export function locationRegex(path: string): RegExp {
  let re = locationCache.get(path);
  if (!re) {
    re = compilePcre(`^${path}`, 'i');
    locationCache.set(path, re);
  }
  return re;
}

export function rewriteTarget(
  rewrite: RewriteAnnotations,
  locationPath: string,
  uri: string,
  args: string,
): { uri: string; args: string } | undefined {
  if (rewrite.target === '') return undefined;
  let re = rewriteCache.get(locationPath);
  if (!re) {
    re = compilePcre(locationPath, 'i');
    rewriteCache.set(locationPath, re);
  }
  const m = re.exec(uri);
  if (!m) return undefined;
  const replaced = rewrite.target.replace(/\$(\d)/g, (_, d: string) => m[Number(d)] ?? '');
  const q = replaced.indexOf('?');
  if (q < 0) return { uri: replaced, args };
  const newUri = replaced.slice(0, q);
  const newArgs = replaced.slice(q + 1);
  // nginx: a trailing "?" in the replacement drops the original arguments.
  if (newArgs.endsWith('?')) return { uri: newUri, args: newArgs.slice(0, -1) };
  if (newArgs === '') return { uri: newUri, args: '' };
  return { uri: newUri, args: args === '' ? newArgs : newArgs === '' ? args : `${newArgs}&${args}` };
}

export function escapeRewrittenUri(uri: string): string {
  let out = '';
  for (const byte of Buffer.from(uri, 'utf8')) {
    const escape = byte <= 0x20 || byte === 0x23 || byte === 0x25 || byte === 0x3f || byte >= 0x7f;
    out += escape ? `%${byte.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(byte);
  }
  return out;
}

export function forwardedPrefixHeader(rewrite: RewriteAnnotations): string | undefined {
  return rewrite.xForwardedPrefix === '' ? undefined : rewrite.xForwardedPrefix;
}
