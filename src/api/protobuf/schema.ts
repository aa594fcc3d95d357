/**
 * The message table that drives both directions of the protobuf codec.
 *
 * protobufjs reflection (Type/Field) knows wire numbers and types, but not the Go JSON rules
 * Kubernetes objects follow (`omitempty`, pointer vs value fields, embedded structs that are
 * flattened into their parent in JSON). So each message is written here as a list of compact
 * field lines that carry both, taken from k8s.io/api `generated.proto` (numbers, types) and
 * `types.go` (JSON tags, pointers):
 *
 *     '<number> <jsonName> <type>[ <flag>]'
 *
 * - `<type>` is a scalar (string, int32, int64, bool, bytes), a well-known Kubernetes value
 *   type (Time, MicroTime, Quantity, IntOrString, FieldsV1) or another message name; `T[]`
 *   is a repeated field, `map<T>` a map with string keys.
 * - `<jsonName>` `~` marks an embedded Go struct: its fields appear inline in the parent JSON.
 * - flag `*`: a Go pointer (or a pointer-like optional): emitted in JSON iff present on the wire,
 *   even when zero.
 * - flag `!`: a Go value field without `omitempty`: always emitted, zero when absent.
 * - no flag: `omitempty` for scalars, lists and maps; non-pointer messages are always emitted
 *   (Go's encoding/json never omits a struct value), as `{}` when empty.
 */
export type Scalar = 'string' | 'int32' | 'int64' | 'bool' | 'bytes';
export type Special = 'Time' | 'MicroTime' | 'Quantity' | 'IntOrString' | 'FieldsV1';
export type Presence = 'omitempty' | 'always' | 'pointer' | 'inline';

export interface FieldSpec {
  readonly no: number;
  /** JSON property name; empty for embedded (inline) messages. */
  readonly json: string;
  /** The Go struct field name, used in wire-type error messages like upstream's. */
  readonly goName: string;
  readonly type: string;
  readonly kind: 'scalar' | 'special' | 'message';
  readonly repeated: boolean;
  readonly map: boolean;
  readonly presence: Presence;
}

export interface MessageSpec {
  readonly name: string;
  readonly fields: readonly FieldSpec[];
  readonly byNumber: ReadonlyMap<number, FieldSpec>;
}

const SCALARS = new Set<string>(['string', 'int32', 'int64', 'bool', 'bytes']);
const SPECIALS = new Set<string>(['Time', 'MicroTime', 'Quantity', 'IntOrString', 'FieldsV1']);

const messages = new Map<string, MessageSpec>();

function parseField(message: string, line: string): FieldSpec {
  const parts = line.trim().split(/\s+/);
  if (parts.length < 3 || parts.length > 4) throw new Error(`protobuf schema ${message}: malformed field line "${line}"`);
  const [noText, json, typeText, flag] = parts as [string, string, string, string | undefined];
  const no = Number(noText);
  if (!Number.isInteger(no) || no <= 0) throw new Error(`protobuf schema ${message}: bad field number in "${line}"`);
  let type = typeText;
  let repeated = false;
  let map = false;
  if (type.endsWith('[]')) { repeated = true; type = type.slice(0, -2); }
  const mapMatch = /^map<(.+)>$/.exec(type);
  if (mapMatch) { map = true; type = mapMatch[1]!; }
  const kind = SCALARS.has(type) ? 'scalar' : SPECIALS.has(type) ? 'special' : 'message';
  const inline = json === '~';
  if (inline && (kind !== 'message' || repeated || map || flag)) throw new Error(`protobuf schema ${message}: inline field must be a plain message in "${line}"`);
  let presence: Presence = 'omitempty';
  if (inline) presence = 'inline';
  else if (flag === '*') presence = 'pointer';
  else if (flag === '!') presence = 'always';
  else if (flag !== undefined) throw new Error(`protobuf schema ${message}: unknown flag "${flag}" in "${line}"`);
  // Go names the embedded metadata field after its type; every other field is its JSON name capitalised.
  const goName = inline || (json === 'metadata' && type === 'ObjectMeta') ? type : json.charAt(0).toUpperCase() + json.slice(1);
  return { no, json: inline ? '' : json, goName, type, kind, repeated, map, presence };
}

/** Adds message definitions to the table. Field numbers must be unique within a message. */
export function defineMessages(defs: Record<string, readonly string[]>): void {
  for (const [name, lines] of Object.entries(defs)) {
    if (messages.has(name)) throw new Error(`protobuf schema: message ${name} defined twice`);
    const fields = lines.map((l) => parseField(name, l));
    const byNumber = new Map<number, FieldSpec>();
    for (const f of fields) {
      if (byNumber.has(f.no)) throw new Error(`protobuf schema ${name}: field number ${f.no} used twice`);
      byNumber.set(f.no, f);
    }
    messages.set(name, { name, fields, byNumber });
  }
}

export function messageSpec(name: string): MessageSpec {
  const spec = messages.get(name);
  if (!spec) throw new Error(`protobuf schema: no message named ${name}`);
  return spec;
}

/** Names of referenced messages that are not defined; empty when the table is complete. */
export function undefinedMessageReferences(): string[] {
  const missing = new Set<string>();
  for (const spec of messages.values()) {
    for (const f of spec.fields) if (f.kind === 'message' && !messages.has(f.type)) missing.add(`${spec.name}.${f.json || '~'} → ${f.type}`);
  }
  return [...missing];
}

const SPECIAL_WIRE: Record<Special, string> = {
  Time: 'meta.Timestamp',
  MicroTime: 'meta.Timestamp',
  Quantity: 'resource.Quantity',
  IntOrString: 'intstr.IntOrString',
  FieldsV1: 'meta.FieldsV1',
};

/** The message describing a field's value on the wire (its own message, or a value type's shape). */
export function valueSpec(field: FieldSpec): MessageSpec {
  return messageSpec(field.kind === 'special' ? SPECIAL_WIRE[field.type as Special] : field.type);
}

const mapEntries = new Map<string, MessageSpec>();

/** A map field travels as repeated entries {1: key, 2: value}. */
export function mapEntrySpec(field: FieldSpec): MessageSpec {
  let spec = mapEntries.get(field.type);
  if (!spec) {
    const fields = [parseField('MapEntry', '1 key string'), parseField('MapEntry', `2 value ${field.type}`)];
    spec = { name: 'MapEntry', fields, byNumber: new Map(fields.map((f) => [f.no, f])) };
    mapEntries.set(field.type, spec);
  }
  return spec;
}

/** The Go type name upstream's Unmarshal errors mention ("proto: Deployment: …"). */
export function goTypeName(spec: MessageSpec): string {
  return spec.name.replace(/^.*\./, '').replace(/V[12]$/, '');
}
