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

/** An unordered set of paths. */
export class FieldSet {
  private readonly paths = new Map<string, Path>();

  constructor(paths: Iterable<Path> = []) {
    for (const p of paths) this.add(p);
  }

  add(p: Path): void {
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
    return new FieldSet([...this.all(), ...o.all()]);
  }

  difference(o: FieldSet): FieldSet {
    return new FieldSet(this.all().filter((p) => !o.has(p)));
  }

  intersection(o: FieldSet): FieldSet {
    return new FieldSet(this.all().filter((p) => o.has(p)));
  }

  filter(keep: (p: Path) => boolean): FieldSet {
    return new FieldSet(this.all().filter(keep));
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

  /** The FieldsV1 JSON object. */
  toFieldsV1(): Record<string, unknown> {
    interface Node {
      member: boolean;
      children: Map<string, Node>;
    }
    const rootNode: Node = { member: false, children: new Map() };
    for (const p of this.all()) {
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
      if (includeSelf && n.member && n.children.size > 0) out['.'] = {};
      for (const el of [...n.children.keys()].sort(compareElements)) out[el] = emit(n.children.get(el)!, true);
      return out;
    };
    return emit(rootNode, false);
  }

  static fromFieldsV1(v: unknown): FieldSet {
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
    return set;
  }
}

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

export function compareElements(a: string, b: string): number {
  const ra = RANK[a[0]];
  const rb = RANK[b[0]];
  if (ra !== rb) return ra - rb;
  const xa = a.slice(2);
  const xb = b.slice(2);
  switch (a[0]) {
    case 'f':
      return xa < xb ? -1 : xa > xb ? 1 : 0;
    case 'i':
      return Number(xa) - Number(xb);
    case 'v':
      return compareValues(JSON.parse(xa), JSON.parse(xb));
    default: {
      const ka = JSON.parse(xa) as Record<string, unknown>;
      const kb = JSON.parse(xb) as Record<string, unknown>;
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
