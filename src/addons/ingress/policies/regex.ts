// PCRE/RE2 patterns (as users write them for nginx) compiled to JavaScript RegExps.
//
//   compilePcre(pattern: string, flags = ''): RegExp
//     accepts the spellings JavaScript lacks: leading inline flags such as "(?i)" or "(?is)"
//     (turned into RegExp flags) and RE2/Python named groups "(?P<name>...)". Throws a
//     SyntaxError, like `new RegExp`, for patterns it cannot compile.
//
// Used for Ingress regex paths (rewrite.ts), canary-by-header-pattern (canary.ts) and their
// validation in annotations.ts.

export function compilePcre(pattern: string, flags = ''): RegExp {
  let body = pattern;
  const set = new Set(flags);
  // A leading anchor may come before the inline flags ("^(?i)/api"); keep it in front.
  const anchor = body.startsWith('^') ? '^' : '';
  const inline = /^\(\?([imsx]+)\)/.exec(body.slice(anchor.length));
  if (inline) {
    for (const f of inline[1]!) if (f !== 'x') set.add(f);
    body = anchor + body.slice(anchor.length + inline[0].length);
  }
  body = body.replace(/\(\?P</g, '(?<');
  return new RegExp(body, [...set].join(''));
}
