// JSON syntax as Go's encoding/json scanner sees it (scanner.go): the first error in its words,
// so a malformed body is refused with the same message upstream gives, and the nesting limit
// (maxNestingDepth) is enforced before anything here walks the value recursively.

/** encoding/json's maxNestingDepth: deeper input is a syntax error ("exceeded max depth"). */
export const MAX_NESTING_DEPTH = 10000;

/** strconv.Quote-style quoting of one byte, as scanner.go's quoteChar. */
function quoteChar(c: string): string {
  if (c === "'") return `'\\''`;
  if (c === '"') return `'"'`;
  const q = JSON.stringify(c);
  return `'${q.slice(1, -1)}'`;
}

const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';
const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isHex = (c: string): boolean => /[0-9a-fA-F]/.test(c);

/**
 * The message of the *json.SyntaxError Go's decoder reports for `text`
 * (`invalid character 'a' looking for beginning of value`, `unexpected end of JSON input`),
 * or undefined when it is valid JSON within the nesting limit. Iterative: any depth is safe.
 */
export function goJsonSyntaxError(text: string): string | undefined {
  const n = text.length;
  let i = 0;
  // Open containers: '{' or '['.
  const stack: string[] = [];
  const bad = (c: string, context: string): string => `invalid character ${quoteChar(c)} ${context}`;
  const END = 'unexpected end of JSON input';

  const skipWs = (): void => {
    while (i < n && isSpace(text[i])) i++;
  };

  /** Scans a string starting at the opening quote; returns an error or undefined. */
  const scanString = (): string | undefined => {
    i++;
    while (i < n) {
      const c = text[i];
      if (c === '"') {
        i++;
        return undefined;
      }
      if (c === '\\') {
        i++;
        if (i >= n) return END;
        const e = text[i];
        if ('"\\/bfnrt'.includes(e)) {
          i++;
          continue;
        }
        if (e === 'u') {
          i++;
          for (let k = 0; k < 4; k++, i++) {
            if (i >= n) return END;
            if (!isHex(text[i])) return bad(text[i], 'in \\u hexadecimal character escape');
          }
          continue;
        }
        return bad(e, 'in string escape code');
      }
      if (c < ' ') return bad(c, 'in string literal');
      i++;
    }
    return END;
  };

  const scanNumber = (): string | undefined => {
    if (text[i] === '-') {
      i++;
      if (i >= n) return END;
      if (!isDigit(text[i])) return bad(text[i], 'in numeric literal');
    }
    if (text[i] === '0') i++;
    else while (i < n && isDigit(text[i])) i++;
    if (i < n && text[i] === '.') {
      i++;
      if (i >= n) return END;
      if (!isDigit(text[i])) return bad(text[i], 'after decimal point in numeric literal');
      while (i < n && isDigit(text[i])) i++;
    }
    if (i < n && (text[i] === 'e' || text[i] === 'E')) {
      i++;
      if (i < n && (text[i] === '+' || text[i] === '-')) i++;
      if (i >= n) return END;
      if (!isDigit(text[i])) return bad(text[i], 'in exponent of numeric literal');
      while (i < n && isDigit(text[i])) i++;
    }
    return undefined;
  };

  const scanLiteral = (word: string): string | undefined => {
    for (let k = 0; k < word.length; k++, i++) {
      if (i >= n) return END;
      if (text[i] !== word[k]) return bad(text[i], `in literal ${word} (expecting ${quoteChar(word[k])})`);
    }
    return undefined;
  };

  /** Scans the start of a value; containers are pushed and continue in the main loop. */
  const scanValue = (): string | undefined => {
    skipWs();
    if (i >= n) return END;
    const c = text[i];
    if (c === '{' || c === '[') {
      stack.push(c);
      if (stack.length > MAX_NESTING_DEPTH) return bad(c, 'exceeded max depth');
      i++;
      skipWs();
      if (i >= n) return END;
      if (c === '{') {
        if (text[i] === '}') {
          stack.pop();
          i++;
          return undefined;
        }
        return scanKey();
      }
      if (text[i] === ']') {
        stack.pop();
        i++;
        return undefined;
      }
      return 'value';
    }
    if (c === '"') return scanString();
    if (c === '-' || isDigit(c)) return scanNumber();
    if (c === 't') return scanLiteral('true');
    if (c === 'f') return scanLiteral('false');
    if (c === 'n') return scanLiteral('null');
    return bad(c, 'looking for beginning of value');
  };

  /** At an object key: the key string and its colon, leaving the value next. */
  const scanKey = (): string | undefined => {
    skipWs();
    if (i >= n) return END;
    if (text[i] !== '"') return bad(text[i], 'looking for beginning of object key string');
    const e = scanString();
    if (e) return e;
    skipWs();
    if (i >= n) return END;
    if (text[i] !== ':') return bad(text[i], 'after object key');
    i++;
    return 'value';
  };

  let r = scanValue();
  for (;;) {
    // 'value' means a value is due next (after '[', ',' in an array, or a key's colon).
    while (r === 'value') r = scanValue();
    if (r) return r;
    if (stack.length === 0) break;
    skipWs();
    if (i >= n) return END;
    const top = stack[stack.length - 1];
    const c = text[i];
    if (c === ',') {
      i++;
      r = top === '{' ? scanKey() : 'value';
      continue;
    }
    if ((top === '{' && c === '}') || (top === '[' && c === ']')) {
      stack.pop();
      i++;
      r = undefined;
      continue;
    }
    return bad(c, top === '{' ? 'after object key:value pair' : 'after array element');
  }
  skipWs();
  if (i < n) return bad(text[i], 'after top-level value');
  return undefined;
}

/** How deeply `value` nests objects and arrays, counted without recursion. */
export function nestingDepth(value: unknown): number {
  let max = 0;
  const work: [unknown, number][] = [[value, 0]];
  while (work.length) {
    const [v, d] = work.pop()!;
    if (v === null || typeof v !== 'object') continue;
    const depth = d + 1;
    if (depth > max) max = depth;
    for (const c of Array.isArray(v) ? v : Object.values(v)) if (c !== null && typeof c === 'object') work.push([c, depth]);
  }
  return max;
}

/** apiserver's summarizeData: the start of a body quoted in a decode error, hex unless it looks like JSON. */
export function summarizeData(data: Buffer, maxLength = 30): string {
  if (data.length === 0) return '<empty>';
  if (data[0] === 0x7b) return data.length > maxLength ? data.subarray(0, maxLength).toString('latin1') + ' ...' : data.toString('latin1');
  return data.length > maxLength ? data.subarray(0, maxLength).toString('hex') + ' ...' : data.toString('hex');
}
