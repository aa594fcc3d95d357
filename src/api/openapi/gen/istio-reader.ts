// Istio kinds as CRDs publish them: one inline schema per kind, taken from
// @kubernetes-models/istio. Its .js files embed the CRD's structural schema (without
// descriptions); its .d.ts files carry the field descriptions as JSDoc on inline type
// literals. The two are walked side by side to put each description on its schema node.

import ts from 'typescript';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { docComment, propertyName } from './jsdoc.js';
import type { Schema } from './schema.js';

// Validation-only keywords of the CRD schema that neither explain nor field pruning need;
// dropping them keeps documents small (upstream strips `nullable` defaults the same way).
const KEEP = new Set([
  'type', 'format', 'enum', 'items', 'properties', 'additionalProperties', 'required', 'description',
  'minimum', 'maximum', 'minLength', 'maxLength', 'minItems', 'maxItems', 'pattern',
]);

/** The CRD schema of an Istio kind in one of the library's versions, with descriptions. */
export function istioKindSchema(istioRoot: string, group: string, version: string, kind: string): Schema {
  const base = path.join(istioRoot, group, version, kind);
  if (!existsSync(`${base}.js`)) throw new Error(`reading Istio model ${group}/${version} ${kind}: ${base}.js does not exist`);
  const raw = embeddedSchema(readFileSync(`${base}.js`, 'utf8'), `${base}.js`);
  const schema = normalize(raw);
  const source = ts.createSourceFile(`${base}.d.ts`, readFileSync(`${base}.d.ts`, 'utf8'), ts.ScriptTarget.ES2022, true);
  const decl = source.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === `I${kind}`);
  if (!decl) throw new Error(`reading Istio model ${group}/${version} ${kind}: ${base}.d.ts declares no I${kind}`);
  describeMembers(schema, decl.members, source);
  return schema;
}

function embeddedSchema(code: string, file: string): unknown {
  const start = code.indexOf('const schema = ');
  const end = code.indexOf('\n};\n', start);
  if (start < 0 || end < 0) throw new Error(`reading Istio model ${file}: no embedded schema`);
  return JSON.parse(code.slice(start + 'const schema = '.length, end + 2));
}

function normalize(node: unknown): Schema {
  const src = node as Record<string, unknown>;
  const out: Schema = {};
  for (const [k, v] of Object.entries(src)) {
    if (!KEEP.has(k)) continue;
    if (k === 'properties') {
      const props = Object.entries(v as Record<string, unknown>);
      if (props.length) out.properties = Object.fromEntries(props.map(([name, s]) => [name, normalize(s)]));
    } else if (k === 'items') {
      out.items = normalize(v);
    } else if (k === 'additionalProperties') {
      out.additionalProperties = typeof v === 'boolean' ? v : normalize(v);
    } else {
      (out as Record<string, unknown>)[k] = v;
    }
  }
  // An object with no declared fields is a free-form value in the CRD (status,
  // google.protobuf.Struct); upstream CRDs say so with preserve-unknown-fields.
  if (out.type === 'object' && !out.properties && out.additionalProperties === undefined) {
    out['x-kubernetes-preserve-unknown-fields'] = true;
  }
  return out;
}

function describeMembers(schema: Schema, members: ts.NodeArray<ts.TypeElement>, source: ts.SourceFile): void {
  if (!schema.properties) return;
  for (const member of members) {
    if (!ts.isPropertySignature(member) || !member.type) continue;
    const prop = schema.properties[propertyName(member.name)];
    if (!prop) continue;
    const doc = docComment(member, source);
    if (doc) schema.properties[propertyName(member.name)] = { description: doc, ...prop };
    describeType(schema.properties[propertyName(member.name)], member.type, source);
  }
}

function describeType(schema: Schema, node: ts.TypeNode, source: ts.SourceFile): void {
  const shape = primaryShape(node);
  if (!shape) return;
  if (schema.items) {
    const element = ts.isArrayTypeNode(shape) ? shape.elementType
      : isArrayReference(shape) ? (shape as ts.TypeReferenceNode).typeArguments?.[0] : undefined;
    if (element) describeType(schema.items, element, source);
    return;
  }
  if (!ts.isTypeLiteralNode(shape)) return;
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
    const index = shape.members.find(ts.isIndexSignatureDeclaration);
    if (index) describeType(schema.additionalProperties, index.type, source);
  }
  describeMembers(schema, shape.members, source);
}

// The library spells oneOf constraints as `{…} & (Exclude<…> | …)`: the first literal of
// an intersection or union holds all fields with their documentation.
function primaryShape(node: ts.TypeNode): ts.TypeNode | undefined {
  if (ts.isParenthesizedTypeNode(node)) return primaryShape(node.type);
  if (ts.isIntersectionTypeNode(node) || ts.isUnionTypeNode(node)) {
    for (const t of node.types) {
      const s = primaryShape(t);
      if (s && (ts.isTypeLiteralNode(s) || ts.isArrayTypeNode(s) || isArrayReference(s))) return s;
    }
    return undefined;
  }
  return node;
}

function isArrayReference(node: ts.TypeNode): boolean {
  return ts.isTypeReferenceNode(node) && ts.isIdentifier(node.typeName) && node.typeName.text === 'Array';
}
