import { goErr, goQuote, type Err } from './istio-errors.js';

// Istio compiles match regexes with Go's regexp (RE2 syntax) and quotes its parse error. The
// errors users meet are found here with Go's wording (regexp/syntax ErrorCode and the
// offending text); JavaScript's parser stands in for what remains.

function re2Error(re: string): string | undefined {
  let depth = 0;
  let prevRepeat = false;
  let atomBefore = false;
  for (let i = 0; i < re.length; i++) {
    const c = re[i]!;
    if (c === '\\') {
      if (i === re.length - 1) return 'trailing backslash at end of expression: ``';
      const n = re[i + 1]!;
      if (/[1-9]/.test(n)) return `invalid escape sequence: \`\\${n}\``;
      i++;
      atomBefore = true;
      prevRepeat = false;
      continue;
    }
    if (c === '[') {
      let j = i + 1;
      if (re[j] === '^') j++;
      if (re[j] === ']') j++;
      while (j < re.length && re[j] !== ']') j += re[j] === '\\' ? 2 : 1;
      if (j >= re.length) return `missing closing ]: \`${re.slice(i)}\``;
      i = j;
      atomBefore = true;
      prevRepeat = false;
      continue;
    }
    if (c === '(') {
      if (re[i + 1] === '?') {
        const perl = re.slice(i, i + 3);
        if (perl === '(?=' || perl === '(?!' || (perl === '(?<' && (re[i + 3] === '=' || re[i + 3] === '!'))) {
          return `invalid or unsupported Perl syntax: \`${perl}\``;
        }
      }
      depth++;
      atomBefore = false;
      prevRepeat = false;
      continue;
    }
    if (c === ')') {
      if (depth === 0) return `unexpected ): \`${re}\``;
      depth--;
      atomBefore = true;
      prevRepeat = false;
      continue;
    }
    if (c === '*' || c === '+' || c === '?') {
      if (c === '?' && prevRepeat) {
        prevRepeat = false;
        continue;
      }
      if (prevRepeat) return `invalid nested repetition operator: \`${re.slice(i - 1, i + 1)}\``;
      if (!atomBefore) return `missing argument to repetition operator: \`${c}\``;
      prevRepeat = true;
      continue;
    }
    if (c === '|') {
      atomBefore = false;
      prevRepeat = false;
      continue;
    }
    atomBefore = c !== '^';
    prevRepeat = false;
  }
  if (depth > 0) return `missing closing ): \`${re}\``;
  try {
    new RegExp(re, 'u');
  } catch {
    try {
      new RegExp(re);
    } catch (e) {
      return `invalid syntax: ${(e as Error).message}`;
    }
  }
  return undefined;
}

/** validateStringRegexp: length first (Envoy's program size), then RE2 syntax. */
export function validateStringRegexp(re: string, where: string): Err {
  if (re.length > 1024) return goErr(`${goQuote(where)}: regex is too large, max length allowed is 1024`);
  const e = re2Error(re);
  if (!e) return undefined;
  return goErr(`${goQuote(where)}: error parsing regexp: ${e}; Istio uses RE2 style regex-based match (https://github.com/google/re2/wiki/Syntax)`);
}
