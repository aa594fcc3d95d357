// $(VAR) references in command, args and env values, as upstream's
// third_party/forked/golang/expansion: `$$` escapes, unknown references stay literal.

export type Mapping = (name: string) => string;

/** A mapping over the given maps, first match wins; unknown names expand to `$(name)`. */
export function mappingFor(...contexts: Array<Map<string, string> | Record<string, string>>): Mapping {
  return (name) => {
    for (const c of contexts) {
      if (c instanceof Map) {
        const v = c.get(name);
        if (v !== undefined) return v;
      } else if (Object.prototype.hasOwnProperty.call(c, name)) {
        return c[name];
      }
    }
    return `$(${name})`;
  };
}

export function expand(input: string, mapping: Mapping): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== '$' || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const rest = input.slice(cursor + 1);
    let advance = 1;
    if (rest[0] === '$') {
      out += '$';
    } else if (rest[0] === '(') {
      const close = rest.indexOf(')', 1);
      if (close > 0) {
        out += mapping(rest.slice(1, close));
        advance = close + 1;
      } else {
        out += '$(';
      }
    } else {
      out += '$' + rest[0];
    }
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}
