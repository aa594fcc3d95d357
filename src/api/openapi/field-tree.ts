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
}

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
      if (!this.nodes.has(name)) this.nodes.set(name, shapeOf(schema));
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
  if (!node.fields && !node.values) return OPEN;
  return node;
}
