// Envoy's header formatter syntax (router/header_parser.cc), which Istio checks header values
// against before Envoy would refuse them: literal text with %% for a percent sign, and
// %VARIABLE% or %VARIABLE(args)% expressions, args a JSON array of strings or one bare string.

type State = 'literal' | 'name' | 'array' | 'string' | 'delimiter' | 'item' | 'argsEnd' | 'varEnd';

const PREFIX = 'invalid header configuration. ';

/** The parse error's text, or undefined for a value Envoy accepts. */
export function headerValueSyntaxError(value: string): string | undefined {
  let state: State = 'literal';
  for (let pos = 0; pos < value.length; pos++) {
    const ch = value[pos]!;
    const hasNext = pos + 1 < value.length;
    switch (state) {
      case 'literal':
        if (ch !== '%') break;
        if (!hasNext) return `${PREFIX}Un-escaped %`;
        if (value[pos + 1] === '%') pos++;
        else state = 'name';
        break;
      case 'name':
        if (ch === '%') state = 'literal';
        else if (ch === '(') state = 'array';
        break;
      case 'array':
        if (ch === '[') state = 'item';
        else if (ch !== ' ') state = 'string';
        break;
      case 'delimiter':
        if (ch === ',') state = 'item';
        else if (ch === ']') state = 'argsEnd';
        else if (ch !== ' ') return `${PREFIX}Expecting ',', ']', or whitespace`;
        break;
      case 'item':
        if (ch === '"') state = 'string';
        else if (ch !== ' ') return `${PREFIX}Expecting '"'`;
        break;
      case 'string':
        if (ch === '\\') {
          if (!hasNext) return `${PREFIX}Un-terminated backslash in JSON string`;
          pos++;
        } else if (ch === ')') state = 'varEnd';
        else if (ch === '"') state = 'delimiter';
        break;
      case 'argsEnd':
        if (ch === ')') state = 'varEnd';
        else if (ch !== ' ') return `${PREFIX}Expecting ')' or whitespace after '{}', but found '{}'`;
        break;
      case 'varEnd':
        if (ch === '%') state = 'literal';
        else if (ch !== ' ') return `${PREFIX}Expecting '%' or whitespace after`;
        break;
    }
  }
  return state === 'literal' ? undefined : `${PREFIX}Un-terminated variable expression '${value}'`;
}
