import type { FieldError, FieldErrorType } from '../types.js';

// Builders and printers for field errors, matching k8s.io/apimachinery/pkg/util/validation/field.
// Upstream prints bad values with Go's fmt verbs (%q for strings, %v for numbers, %#v for the
// rest); values that need a Go type name are carried as a GoValue holding the printed form.

/** A value whose Go %#v rendering has already been computed (maps, slices, structs). */
export class GoValue {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** Marks a value that the printer leaves out (upstream's omitValue, used by TooMany). */
export const OMIT_VALUE = Symbol('omitValue');

const TYPE_TEXT: Record<FieldErrorType, string> = {
  FieldValueNotFound: 'Not found',
  FieldValueRequired: 'Required value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  InternalError: 'Internal error',
  FieldValueTypeInvalid: 'Invalid value',
};

export function required(field: string, detail = ''): FieldError {
  return { type: 'FieldValueRequired', field, value: '', detail };
}

export function invalid(field: string, value: unknown, detail: string): FieldError {
  return { type: 'FieldValueInvalid', field, value, detail };
}

export function typeInvalid(field: string, value: unknown, detail: string): FieldError {
  return { type: 'FieldValueTypeInvalid', field, value, detail };
}

export function notFound(field: string, value: unknown): FieldError {
  return { type: 'FieldValueNotFound', field, value, detail: '' };
}

export function duplicate(field: string, value: unknown): FieldError {
  return { type: 'FieldValueDuplicate', field, value, detail: '' };
}

export function notSupported(field: string, value: unknown, supported: string[]): FieldError {
  const detail = supported.length ? 'supported values: ' + supported.map(goQuote).join(', ') : '';
  return { type: 'FieldValueNotSupported', field, value, detail, supported: [...supported] };
}

export function forbidden(field: string, detail: string): FieldError {
  return { type: 'FieldValueForbidden', field, value: '', detail };
}

/** Too long, in bytes; the value itself is never printed. */
export function tooLong(field: string, maxLength: number): FieldError {
  return { type: 'FieldValueTooLong', field, value: '', detail: `must have at most ${maxLength} bytes` };
}

export function tooMany(field: string, actual: number, max: number): FieldError {
  const detail = max >= 0 ? `must have at most ${max} items` : 'has too many items';
  return { type: 'FieldValueTooMany', field, value: actual >= 0 ? actual : OMIT_VALUE, detail };
}

/** field.Error.ErrorBody(): the message without the field path. */
export function causeMessage(e: FieldError): string {
  let s: string;
  switch (e.type) {
    case 'FieldValueRequired':
    case 'FieldValueForbidden':
    case 'FieldValueTooLong':
    case 'InternalError':
      s = TYPE_TEXT[e.type];
      break;
    default:
      s = e.value === OMIT_VALUE ? TYPE_TEXT[e.type] : `${TYPE_TEXT[e.type]}: ${goValue(e.value)}`;
  }
  if (e.detail) s += `: ${e.detail}`;
  return s;
}

/** field.Error.Error(): `spec.x: Invalid value: "v": detail`. */
export function formatFieldError(e: FieldError): string {
  return `${e.field}: ${causeMessage(e)}`;
}

/**
 * The Status message of a 422, as apierrors.NewInvalid builds it:
 * `Deployment.apps "bad" is invalid: [a, b]`, without brackets for a single error.
 * Identical messages are printed once, as ErrorList.ToAggregate() deduplicates them.
 */
export function invalidMessage(kind: string, group: string, name: string, errs: FieldError[]): string {
  const qualified = group ? `${kind}.${group}` : kind;
  const msgs = dedupe(errs).map(formatFieldError);
  const body = msgs.length === 1 ? msgs[0] : `[${msgs.join(', ')}]`;
  return `${qualified} ${goQuote(name)} is invalid: ${body}`;
}

/** Drops errors whose printed form repeats an earlier one, as upstream's aggregate does. */
export function dedupe(errs: FieldError[]): FieldError[] {
  const seen = new Set<string>();
  return errs.filter((e) => {
    const m = formatFieldError(e);
    if (seen.has(m)) return false;
    seen.add(m);
    return true;
  });
}

/** Go's strconv.Quote for the printable-ASCII-and-Unicode strings API values are. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    switch (ch) {
      case '"': out += '\\"'; continue;
      case '\\': out += '\\\\'; continue;
      case '\x07': out += '\\a'; continue;
      case '\b': out += '\\b'; continue;
      case '\f': out += '\\f'; continue;
      case '\n': out += '\\n'; continue;
      case '\r': out += '\\r'; continue;
      case '\t': out += '\\t'; continue;
      case '\v': out += '\\v'; continue;
    }
    if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else if ((c >= 0x80 && c < 0xa0) || c === 0xfffd || (c >= 0xd800 && c <= 0xdfff)) out += c > 0xffff ? '\\U' + c.toString(16).padStart(8, '0') : '\\u' + c.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + '"';
}

/** Prints a bad value the way ErrorBody does. */
export function goValue(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (v instanceof GoValue) return v.text;
  switch (typeof v) {
    case 'string': return goQuote(v);
    case 'number': return goNumber(v);
    case 'bigint': return v.toString();
    case 'boolean': return String(v);
  }
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return goStringSlice(v as string[]);
  if (isStringMap(v)) return goStringMap(v);
  return JSON.stringify(v);
}

function goNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  // Go's %v for float64 is %g with the shortest representation: exponents get a sign and two digits.
  const s = String(n);
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

function isStringMap(v: unknown): v is Record<string, string> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
}

/**
 * `map[string]string{"a":"b", "c":"d"}` with keys sorted, as fmt prints maps. A value of another
 * type (a body not yet refused for it) prints as its string form rather than failing.
 */
export function goStringMap(m: Record<string, unknown> | undefined | null): string {
  if (m === undefined || m === null) return 'map[string]string(nil)';
  const keys = Object.keys(m).sort();
  return `map[string]string{${keys.map((k) => `${goQuote(k)}:${goQuote(String(m[k]))}`).join(', ')}}`;
}

/** `[]string{"a", "b"}`; an absent slice prints as `[]string(nil)`. */
export function goStringSlice(a: string[] | undefined | null, elemType = 'string'): string {
  if (a === undefined || a === null) return `[]${elemType}(nil)`;
  return `[]${elemType}{${a.map(goQuote).join(', ')}}`;
}

/** A field path helper: child, index and key steps print as upstream's field.Path. */
export function child(path: string, ...names: string[]): string {
  return [path, ...names].filter((p) => p !== '').join('.');
}

export function index(path: string, i: number): string {
  return `${path}[${i}]`;
}

export function key(path: string, k: string): string {
  return `${path}[${k}]`;
}
