// The subset of an OpenAPI 3.0 schema object the generator writes and the runtime reads.
export interface Schema {
  type?: string;
  format?: string;
  description?: string;
  enum?: unknown[];
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  required?: string[];
  allOf?: Schema[];
  oneOf?: Schema[];
  $ref?: string;
  default?: unknown;
  [extension: `x-${string}`]: unknown;
}

export const REF_PREFIX = '#/components/schemas/';

export function ref(name: string): Schema {
  return { $ref: REF_PREFIX + name };
}

/** A named schema used from a property: upstream wraps the $ref in allOf so siblings such as description survive. */
export function refProperty(name: string, description?: string): Schema {
  const s: Schema = { allOf: [ref(name)] };
  if (description) s.description = description;
  return s;
}

/** Every component name a schema refers to, directly or nested. */
export function refsOf(schema: unknown, out: Set<string> = new Set()): Set<string> {
  if (Array.isArray(schema)) {
    for (const s of schema) refsOf(s, out);
  } else if (schema && typeof schema === 'object') {
    for (const [k, v] of Object.entries(schema)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith(REF_PREFIX)) out.add(v.slice(REF_PREFIX.length));
      else refsOf(v, out);
    }
  }
  return out;
}
