// Strict field validation: which fields of an object its schema does not declare. Upstream
// finds them while decoding JSON into Go structs (built-in kinds) or while pruning against
// the structural schema (CRDs). Here a compact tree derived from the published OpenAPI
// components plays the role of the structs; only the shape matters, not types or formats.

/** One node of the shape: declared fields, list items, map values, or anything goes. */
export interface FieldNode {
  ref?: string;
  fields?: Map<string, FieldNode>;
  items?: FieldNode;
  /** Map values (additionalProperties); `true` accepts any value. */
  values?: FieldNode | true;
  /** Free-form subtree: x-kubernetes-preserve-unknown-fields, RawExtension, FieldsV1, scalars. */
  open?: true;
  /** A scalar's JSON type (`integer` with its format), for typed decoding. */
  scalar?: 'string' | 'boolean' | 'int32' | 'int64' | 'float64';
  /** A component struct: its Go name (`DeploymentSpec`) and package-qualified type (`v1.DeploymentSpec`). */
  struct?: { name: string; goType: string };
  /** A type with its own JSON decoding (Quantity, IntOrString, Time…): never a type error here. */
  custom?: true;
}

/** Components whose Go types decode themselves (UnmarshalJSON) and so accept several JSON types. */
const CUSTOM = /\.(Quantity|IntOrString|Time|MicroTime|Duration|RawExtension|FieldsV1|JSON|JSONSchemaPropsOrBool|JSONSchemaPropsOrArray|JSONSchemaPropsOrStringArray)$/;

const OPEN: FieldNode = { open: true };

type RawSchema = Record<string, unknown>;

/** Shapes of component schemas by name; names are global (the same name means the same type in every document). */
export class FieldTrees {
  private readonly nodes = new Map<string, FieldNode>();

  has(name: string): boolean {
    return this.nodes.has(name);
  }

  /** Adds the components of one parsed document. */
  addComponents(schemas: Record<string, RawSchema>): void {
    for (const [name, schema] of Object.entries(schemas)) {
      if (this.nodes.has(name)) continue;
      const node = CUSTOM.test(name) ? { open: true as const, custom: true as const } : shapeOf(schema);
      if (node.fields) {
        const parts = name.split('.');
        node.struct = { name: parts[parts.length - 1], goType: `${parts[parts.length - 2]}.${parts[parts.length - 1]}` };
      }
      this.nodes.set(name, node);
    }
  }

  /**
   * Paths of the fields in `obj` that the schema `root` does not declare, in document order.
   * With `prune`, those fields are also deleted from `obj`.
   */
  unknownFields(root: string, obj: unknown, prune = false): string[] {
    const out: string[] = [];
    this.walk({ ref: root }, obj, '', out, prune);
    return out;
  }

  /**
   * The first error Go's encoding/json would report decoding `obj` into the struct of `root`,
   * worded as its UnmarshalTypeError (`json: cannot unmarshal string into Go struct field
   * DeploymentSpec.spec.replicas of type int32`); undefined when the types fit. Like the Go
   * decoder, only declared fields are looked into and a mismatched value is not descended.
   */
  typeError(root: string, obj: unknown): string | undefined {
    const rootNode = this.resolve({ ref: root });
    return this.typeWalk(rootNode, obj, rootNode.struct?.name ?? '', []);
  }

  private goType(node: FieldNode): string {
    const n = this.resolve(node);
    if (n.struct) return n.struct.goType;
    if (n.scalar) return n.scalar === 'boolean' ? 'bool' : n.scalar;
    if (n.items) return `[]${this.goType(n.items)}`;
    if (n.values) return `map[string]${n.values === true ? 'interface {}' : this.goType(n.values)}`;
    return 'interface {}';
  }

  private typeWalk(node: FieldNode, value: unknown, struct: string, stack: string[]): string | undefined {
    if (value === null || value === undefined) return undefined; // null decodes into anything
    const n = this.resolve(node);
    if (n.custom) return undefined;
    const fail = (what: string): string => {
      const into = this.goType(n);
      return stack.length || struct
        ? `json: cannot unmarshal ${what} into Go struct field ${struct}.${stack.join('.')} of type ${into}`
        : `json: cannot unmarshal ${what} into Go value of type ${into}`;
    };
    const kind = Array.isArray(value) ? 'array' : typeof value === 'object' ? 'object' : typeof value === 'boolean' ? 'bool' : typeof value === 'number' ? 'number' : 'string';
    if (n.scalar) {
      switch (n.scalar) {
        case 'string':
          return kind === 'string' ? undefined : fail(kind);
        case 'boolean':
          return kind === 'bool' ? undefined : fail(kind);
        case 'float64':
          return kind === 'number' ? undefined : fail(kind);
        default: {
          if (kind !== 'number') return fail(kind);
          const v = value as number;
          const max = n.scalar === 'int32' ? 2 ** 31 : 2 ** 63;
          return Number.isInteger(v) && v >= -max && v < max ? undefined : fail(`number ${String(v)}`);
        }
      }
    }
    if (n.items) {
      if (kind !== 'array') return fail(kind);
      for (const v of value as unknown[]) {
        const e = this.typeWalk(n.items, v, struct, stack);
        if (e) return e;
      }
      return undefined;
    }
    if (n.fields || n.values) {
      if (kind !== 'object') return fail(kind);
      // One stack for the whole walk (pushed and popped): every write of every object is checked.
      for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
        const child = n.fields?.get(key);
        let e: string | undefined;
        if (child) {
          stack.push(key);
          e = this.typeWalk(child, v, n.struct?.name ?? struct, stack);
          stack.pop();
        } else if (n.values && n.values !== true) e = this.typeWalk(n.values, v, struct, stack);
        if (e) return e;
      }
    }
    return undefined;
  }

  private resolve(node: FieldNode): FieldNode {
    let n = node;
    for (let hops = 0; n.ref && hops < 16; hops++) {
      const target = this.nodes.get(n.ref);
      if (!target) return OPEN; // a reference outside the loaded documents: nothing to check against
      n = target;
    }
    return n;
  }

  private walk(node: FieldNode, value: unknown, path: string, out: string[], prune: boolean): void {
    if (value === null || typeof value !== 'object') return;
    const n = this.resolve(node);
    if (n.open) return;
    if (Array.isArray(value)) {
      if (n.items) value.forEach((v, i) => this.walk(n.items!, v, `${path}[${i}]`, out, prune));
      return;
    }
    for (const [key, v] of Object.entries(value)) {
      const child = n.fields?.get(key);
      const at = path ? `${path}.${key}` : key;
      if (child) this.walk(child, v, at, out, prune);
      else if (n.values === true) continue;
      else if (n.values) this.walk(n.values, v, at, out, prune);
      else if (n.fields) {
        out.push(at);
        if (prune) delete (value as Record<string, unknown>)[key];
      }
      // A node with neither fields nor values is a scalar or type mismatch: not an unknown field.
    }
  }
}

function shapeOf(schema: RawSchema): FieldNode {
  if (typeof schema.$ref === 'string') return { ref: schema.$ref.slice(schema.$ref.lastIndexOf('/') + 1) };
  const allOf = schema.allOf as RawSchema[] | undefined;
  if (allOf?.length === 1 && !schema.properties) return shapeOf(allOf[0]);
  if (schema['x-kubernetes-preserve-unknown-fields'] === true) return OPEN;
  if (schema.items && typeof schema.items === 'object') return { items: shapeOf(schema.items as RawSchema) };
  const props = schema.properties as Record<string, RawSchema> | undefined;
  const addl = schema.additionalProperties;
  const node: FieldNode = {};
  if (props && Object.keys(props).length) {
    node.fields = new Map(Object.entries(props).map(([k, v]) => [k, shapeOf(v)]));
  }
  if (addl === true) node.values = true;
  else if (addl && typeof addl === 'object') node.values = shapeOf(addl as RawSchema);
  // Objects without declared fields (RawExtension, FieldsV1) and scalars accept anything.
  if (!node.fields && !node.values) return scalarOf(schema) ?? OPEN;
  return node;
}

function scalarOf(schema: RawSchema): FieldNode | undefined {
  switch (schema.type) {
    case 'string':
      return { open: true, scalar: 'string' };
    case 'boolean':
      return { open: true, scalar: 'boolean' };
    case 'integer':
      return { open: true, scalar: schema.format === 'int32' ? 'int32' : 'int64' };
    case 'number':
      return { open: true, scalar: 'float64' };
    default:
      return undefined;
  }
}
