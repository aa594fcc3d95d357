// Field paths and field sets as sigs.k8s.io/structured-merge-diff models them, in the
// FieldsV1 spelling: a path is a list of elements `f:<field>`, `k:{"key":value,…}` (an
// associative-list item), `v:<json>` (a set member) or `i:<index>`.

export type Path = readonly string[];

const SEP = '\u0000';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON with object keys sorted, as the keys of `k:` elements are written. */
export function sortedJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(sortedJson).join(',')}]`;
  if (isObject(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${sortedJson(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

export function fieldElement(name: string): string {
  return `f:${name}`;
}

export function keyElement(fields: Record<string, unknown>): string {
  return `k:${sortedJson(fields)}`;
}

export function valueElement(v: unknown): string {
  return `v:${sortedJson(v)}`;
}

/**
 * An unordered set of paths. Set operations share members by their joined key rather than
 * joining paths again, and an operation that changes nothing answers with the set itself:
 * every write of every object runs a dozen of them over sets of a few hundred paths.
 * A set is not changed once it has been handed to an operation or encoded.
 */
export class FieldSet {
  private readonly paths: Map<string, Path>;
  private encoded?: Record<string, unknown>;
  private sealed = false;

  constructor(paths: Iterable<Path> = []) {
    this.paths = new Map();
    for (const p of paths) this.add(p);
  }

  private static of(paths: Map<string, Path>): FieldSet {
    const s = new FieldSet();
    for (const [k, p] of paths) s.paths.set(k, p);
    s.sealed = true;
    return s;
  }

  add(p: Path): void {
    if (this.sealed) throw new Error('adding a path to a field set already in use');
    this.paths.set(p.join(SEP), p);
  }

  has(p: Path): boolean {
    return this.paths.has(p.join(SEP));
  }

  get size(): number {
    return this.paths.size;
  }

  isEmpty(): boolean {
    return this.paths.size === 0;
  }

  all(): Path[] {
    return [...this.paths.values()];
  }

  union(o: FieldSet): FieldSet {
    this.sealed = o.sealed = true;
    if (o.paths.size === 0) return this;
    if (this.paths.size === 0) return o;
    let out: Map<string, Path> | undefined;
    for (const [k, p] of o.paths) {
      if (this.paths.has(k)) continue;
      out ??= new Map(this.paths);
      out.set(k, p);
    }
    return out ? FieldSet.of(out) : this;
  }

  difference(o: FieldSet): FieldSet {
    return this.keep((k) => !o.paths.has(k), o);
  }

  intersection(o: FieldSet): FieldSet {
    return this.keep((k) => o.paths.has(k), o);
  }

  filter(keep: (p: Path) => boolean): FieldSet {
    return this.keep((_, p) => keep(p));
  }

  private keep(test: (key: string, p: Path) => boolean, o?: FieldSet): FieldSet {
    this.sealed = true;
    if (o) o.sealed = true;
    const out = new Map<string, Path>();
    for (const [k, p] of this.paths) if (test(k, p)) out.set(k, p);
    return out.size === this.paths.size ? this : FieldSet.of(out);
  }

  /** Whether some member lies strictly below `p`. */
  hasDescendant(p: Path): boolean {
    const prefix = p.join(SEP) + SEP;
    for (const k of this.paths.keys()) if (k.startsWith(prefix)) return true;
    return false;
  }

  /** Members in structured-merge-diff's order (depth first, elements by compareElements). */
  sorted(): Path[] {
    return this.all().sort(comparePaths);
  }

  /**
   * The FieldsV1 JSON object, made once per set and frozen: an entry nobody's write touched
   * is encoded again on every write of its object.
   */
  toFieldsV1(): Record<string, unknown> {
    if (this.encoded) return this.encoded;
    interface Node {
      member: boolean;
      children: Map<string, Node>;
    }
    const rootNode: Node = { member: false, children: new Map() };
    for (const p of this.paths.values()) {
      let n = rootNode;
      for (const el of p) {
        let c = n.children.get(el);
        if (!c) n.children.set(el, (c = { member: false, children: new Map() }));
        n = c;
      }
      n.member = true;
    }
    const emit = (n: Node, includeSelf: boolean): Record<string, unknown> => {
      const out: Record<string, unknown> = {};
      if (includeSelf && n.member && n.children.size > 0) out['.'] = Object.freeze({});
      for (const el of [...n.children.keys()].sort(compareElements)) out[el] = emit(n.children.get(el)!, true);
      return Object.freeze(out);
    };
    this.sealed = true;
    this.encoded = emit(rootNode, false);
    return this.encoded;
  }

  /**
   * The set a FieldsV1 object spells. Decoded sets are remembered by their JSON: the entries
   * of an object's managedFields are decoded on each of its writes, and the entries of objects
   * made from one template (a ReplicaSet's pods) are the same.
   */
  static fromFieldsV1(v: unknown): FieldSet {
    const key = JSON.stringify(v);
    const hit = decoded.get(key);
    if (hit) {
      decoded.delete(key);
      decoded.set(key, hit);
      return hit;
    }
    const set = new FieldSet();
    const walk = (node: unknown, path: string[]) => {
      if (!isObject(node)) throw new Error(`expected an object at ${path.join('') || 'the root'} of fieldsV1`);
      const keys = Object.keys(node);
      if (path.length > 0 && (keys.length === 0 || keys.includes('.'))) set.add(path);
      for (const k of keys) {
        if (k === '.') continue;
        if (!/^[fkvi]:/.test(k)) throw new Error(`unexpected key ${JSON.stringify(k)} in fieldsV1`);
        walk(node[k], [...path, normalizeElement(k)]);
      }
    };
    walk(v, []);
    set.sealed = true;
    decoded.set(key, set);
    if (decoded.size > DECODED_MAX) decoded.delete(decoded.keys().next().value!);
    return set;
  }
}

/** Recently decoded FieldsV1, least recently used first. */
const decoded = new Map<string, FieldSet>();
const DECODED_MAX = 2048;

/** Rewrites `k:`/`v:` elements into the canonical (sorted-key) spelling used internally. */
function normalizeElement(el: string): string {
  if (el.startsWith('k:') || el.startsWith('v:')) {
    try {
      return el.slice(0, 2) + sortedJson(JSON.parse(el.slice(2)));
    } catch {
      return el;
    }
  }
  return el;
}

const RANK: Record<string, number> = { f: 0, k: 1, v: 2, i: 3 };

function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  const sa = sortedJson(a);
  const sb = sortedJson(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/**
 * The JSON after `k:`/`v:`, parsed. Encoding managedFields sorts every list item's element
 * against its siblings on every write, and the same few elements (a condition's type, a
 * container's name) come back each time.
 */
function elementValue(el: string): unknown {
  let v = elementValues.get(el);
  if (v === undefined) {
    if (elementValues.size >= ELEMENT_VALUES_MAX) elementValues.clear();
    elementValues.set(el, (v = JSON.parse(el.slice(2)) as unknown));
  }
  return v;
}
const elementValues = new Map<string, unknown>();
const ELEMENT_VALUES_MAX = 4096;

export function compareElements(a: string, b: string): number {
  const ra = RANK[a[0]];
  const rb = RANK[b[0]];
  if (ra !== rb) return ra - rb;
  switch (a[0]) {
    case 'f':
      return a < b ? -1 : a > b ? 1 : 0;
    case 'i':
      return Number(a.slice(2)) - Number(b.slice(2));
    case 'v':
      return compareValues(elementValue(a), elementValue(b));
    default: {
      const ka = elementValue(a) as Record<string, unknown>;
      const kb = elementValue(b) as Record<string, unknown>;
      const na = Object.keys(ka).sort();
      const nb = Object.keys(kb).sort();
      for (let i = 0; i < Math.max(na.length, nb.length); i++) {
        if (i >= na.length) return -1;
        if (i >= nb.length) return 1;
        if (na[i] !== nb[i]) return na[i] < nb[i] ? -1 : 1;
        const c = compareValues(ka[na[i]], kb[nb[i]]);
        if (c !== 0) return c;
      }
      return 0;
    }
  }
}

export function comparePaths(a: Path, b: Path): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compareElements(a[i], b[i]);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

function valueString(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : sortedJson(v);
}

/** A path as upstream prints it in conflict messages: `.spec.containers[name="nginx"].image`. */
export function pathString(p: Path): string {
  return p
    .map((el) => {
      const body = el.slice(2);
      switch (el[0]) {
        case 'f':
          return `.${body}`;
        case 'i':
          return `[${body}]`;
        case 'v':
          return `[=${valueString(JSON.parse(body))}]`;
        default: {
          const key = JSON.parse(body) as Record<string, unknown>;
          return `[${Object.keys(key).sort().map((k) => `${k}=${valueString(key[k])}`).join(',')}]`;
        }
      }
    })
    .join('');
}
