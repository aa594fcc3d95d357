// How the apiserver reports unknown fields, by fieldValidation mode.

/**
 * fieldValidation=Strict: the message of the 400 BadRequest, as upstream words it, e.g.
 * `Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.foo", unknown field "spec.bar"`.
 */
export function strictDecodingMessage(kind: string, version: string, fields: string[]): string {
  return `${kind} in version "${version}" cannot be handled as a ${kind}: strict decoding error: ${fields.map(unknownFieldWarning).join(', ')}`;
}

/** fieldValidation=Warn: the text of the warning sent for one unknown field (`unknown field "spec.foo"`). */
export function unknownFieldWarning(field: string): string {
  return `unknown field "${field}"`;
}

/**
 * The value of one `Warning` response header carrying `text`, as the apiserver sends it:
 * code 299, agent `-`, and the text as a quoted string (kubectl prints `Warning: <text>`).
 */
export function warningHeaderValue(text: string): string {
  return `299 - "${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
