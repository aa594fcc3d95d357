// Istio's validation builds its answer from Go errors joined with hashicorp's go-multierror,
// and the webhook prints that error as is. Which joins make a list and which keep a single
// error plain decides the text kubectl shows, so this module keeps Go's distinction:
// appendErrors (Istio's AppendErrors) leaves a lone error plain, multierror.Append always
// makes a list, and a list prints as go-multierror's ListFormatFunc does.

/** A Go error value: one message, or a flattened multierror list. */
export interface GoError {
  readonly msgs: readonly string[];
  readonly list: boolean;
}

export type Err = GoError | undefined;

export function goErr(msg: string): GoError {
  return { msgs: [msg], list: false };
}

/** Istio's appendErrors: nil stays nil, one error stays plain, more become a list. */
export function appendErrors(a: Err, ...more: (Err | Validation)[]): Err {
  for (const item of more) {
    const b = item instanceof Validation ? item.err : item;
    if (!b) continue;
    a = a ? { msgs: [...a.msgs, ...b.msgs], list: true } : b;
  }
  return a;
}

/** multierror.Append(a, b): a list even when it holds one error. */
export function multiAppend(a: Err, b: GoError): GoError {
  return { msgs: [...(a?.msgs ?? []), ...b.msgs], list: true };
}

/** go-multierror's ListFormatFunc, or the plain message. */
export function errorText(e: GoError): string {
  if (!e.list) return e.msgs[0] ?? '';
  const head = e.msgs.length === 1 ? '1 error occurred:' : `${e.msgs.length} errors occurred:`;
  return `${head}\n\t${e.msgs.map((m) => `* ${m}`).join('\n\t')}\n\n`;
}

/** Istio's Validation: errors and warnings, each joined as AppendValidation joins them. */
export class Validation {
  err: Err;
  warning: Err;

  add(...items: (Err | Validation)[]): this {
    for (const item of items) {
      if (item instanceof Validation) {
        this.err = appendErrors(this.err, item.err);
        this.warning = appendErrors(this.warning, item.warning);
      } else {
        this.err = appendErrors(this.err, item);
      }
    }
    return this;
  }

  error(msg: string): this {
    return this.add(goErr(msg));
  }

  warn(msg: string): this {
    this.warning = appendErrors(this.warning, goErr(msg));
    return this;
  }
}

export { goQuote } from './field.js';
