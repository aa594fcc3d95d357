// kubernetes-models ships its JSON schemas only as compiled (ajv standalone) validators in
// _schemas/*.js. The .d.ts files say `number` for every numeric field; the validators still
// carry what the declarations lose: integer vs number and the format (int32, int64, byte,
// date-time). This module reads those facts back out of the generated code.

import { existsSync, readFileSync } from 'node:fs';

export interface NumericFacts {
  /** 'integer' or 'number', when the validator checks one. */
  type?: string;
  /** int32, int64, double, byte, date-time… */
  formats: string[];
}

const FUNCTION_RE = /function (validate\d+)\(/g;
const TYPE_RE = /params:\{type:"(integer|number)"\}/;
const FORMAT_RE = /params:\{format:"([^"]+)"\}/g;
const CALL_RE = /(validate\d+)\(data/g;

export class ValidatorFacts {
  private readonly bodies = new Map<string, string>();
  private readonly topName: string | undefined;

  constructor(private readonly code: string) {
    const starts: { name: string; at: number }[] = [];
    for (const m of code.matchAll(FUNCTION_RE)) starts.push({ name: m[1], at: m.index ?? 0 });
    starts.forEach((s, i) => this.bodies.set(s.name, code.slice(s.at, i + 1 < starts.length ? starts[i + 1].at : code.length)));
    this.topName = /validate=function (validate\d+)\(/.exec(code)?.[1];
  }

  static forFile(file: string): ValidatorFacts | undefined {
    return existsSync(file) ? new ValidatorFacts(readFileSync(file, 'utf8')) : undefined;
  }

  /** Facts for the validator of one property of the object this file validates. */
  property(name: string): NumericFacts {
    const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const re = new RegExp(`void 0===data(?:\\.${escaped}|\\["${escaped}"\\])\\|\\|(validate\\d+)\\(`);
    const fn = re.exec(this.code)?.[1];
    return fn ? this.collect(fn, 3, new Set()) : { formats: [] };
  }

  /** Facts for the schema itself (used for aliases such as Time). */
  top(): NumericFacts {
    return this.topName ? this.collect(this.topName, 2, new Set()) : { formats: [] };
  }

  private collect(fn: string, depth: number, seen: Set<string>): NumericFacts {
    const body = this.bodies.get(fn);
    if (!body || seen.has(fn)) return { formats: [] };
    seen.add(fn);
    const facts: NumericFacts = { type: TYPE_RE.exec(body)?.[1], formats: [...body.matchAll(FORMAT_RE)].map((m) => m[1]) };
    if (depth > 0) {
      for (const call of body.matchAll(CALL_RE)) {
        if (call[1] === fn) continue;
        const inner = this.collect(call[1], depth - 1, seen);
        facts.type ??= inner.type;
        facts.formats.push(...inner.formats);
      }
    }
    return facts;
  }
}
