// Turns the declarations of the kubernetes-models library (one .d.ts per API type, with the
// upstream field documentation as JSDoc) into OpenAPI schemas named like upstream's
// (`io.k8s.api.apps.v1.Deployment`). Referenced types are read on demand, so only the
// closure of what the served kinds use ends up in `schemas`.

import ts from 'typescript';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { docComment, propertyName } from './jsdoc.js';
import { ValidatorFacts, type NumericFacts } from './validator-facts.js';
import { refProperty, ref, type Schema } from './schema.js';

interface ModelFile {
  name: string; // upstream schema name
  source: ts.SourceFile;
  facts?: ValidatorFacts;
  imports: Map<string, string>; // local identifier → resolved file path without .d.ts
}

const NO_FACTS: NumericFacts = { formats: [] };

export class ModelReader {
  readonly schemas = new Map<string, Schema>();
  private readonly byFile = new Map<string, string>();

  /**
   * Reads the model declared in `file` (a .d.ts path without extension) and every model it
   * references; returns its upstream schema name.
   */
  load(file: string): string {
    const known = this.byFile.get(file);
    if (known) return known;
    const model = this.open(file);
    this.byFile.set(file, model.name);
    this.schemas.set(model.name, {}); // placeholder: breaks reference cycles (JSONSchemaProps-like types)
    this.schemas.set(model.name, this.convertDeclaration(model));
    return model.name;
  }

  private open(file: string): ModelFile {
    const dts = `${file}.d.ts`;
    if (!existsSync(dts)) throw new Error(`reading model declarations: ${dts} does not exist`);
    const source = ts.createSourceFile(dts, readFileSync(dts, 'utf8'), ts.ScriptTarget.ES2022, true);
    const { name, pkgRoot } = upstreamName(file);
    const imports = new Map<string, string>();
    let alias: string | undefined;
    for (const st of source.statements) {
      if (ts.isImportDeclaration(st) && ts.isStringLiteral(st.moduleSpecifier) && st.importClause?.namedBindings && ts.isNamedImports(st.importClause.namedBindings)) {
        const spec = st.moduleSpecifier.text;
        if (spec === '@kubernetes-models/base') continue;
        const target = resolveModule(path.dirname(file), spec);
        for (const el of st.importClause.namedBindings.elements) imports.set(el.name.text, target);
      }
      // `export { IFoo as IIoK8s…Foo, Foo as IoK8s…Foo }`: the second name is the validator's file name.
      if (ts.isExportDeclaration(st) && st.exportClause && ts.isNamedExports(st.exportClause)) {
        const last = st.exportClause.elements[st.exportClause.elements.length - 1];
        if (last) alias = last.name.text;
      }
    }
    const facts = alias ? ValidatorFacts.forFile(path.join(pkgRoot, '_schemas', `${alias}.js`)) : undefined;
    return { name, source, facts, imports };
  }

  private convertDeclaration(model: ModelFile): Schema {
    const base = path.basename(model.source.fileName, '.d.ts');
    for (const st of model.source.statements) {
      if (ts.isInterfaceDeclaration(st) && st.name.text === `I${base}`) return this.convertInterface(model, st);
      if (ts.isTypeAliasDeclaration(st) && st.name.text === `I${base}`) return this.convertAlias(model, st);
    }
    throw new Error(`reading model declarations: ${model.source.fileName} declares no I${base}`);
  }

  private convertInterface(model: ModelFile, decl: ts.InterfaceDeclaration): Schema {
    const schema: Schema = {};
    const description = docComment(decl, model.source);
    if (description) schema.description = description;
    schema.type = 'object';
    const properties: Record<string, Schema> = {};
    const required: string[] = [];
    for (const member of decl.members) {
      if (!ts.isPropertySignature(member) || !member.type) continue;
      const name = propertyName(member.name);
      // apiVersion/kind are declared as literals for TypeMeta; upstream publishes plain strings.
      const typeMeta = (name === 'apiVersion' || name === 'kind') && ts.isLiteralTypeNode(member.type);
      const facts = model.facts?.property(name) ?? NO_FACTS;
      const prop = typeMeta ? { type: 'string' } : this.convertType(model, member.type, facts, true);
      const doc = docComment(member, model.source);
      if (doc) {
        // Keep description first for readability; refs are wrapped so it stays a sibling.
        properties[name] = prop.allOf ? { ...prop, description: doc } : { description: doc, ...prop };
      } else {
        properties[name] = prop;
      }
      if (!member.questionToken && !typeMeta) required.push(name);
    }
    if (Object.keys(properties).length) schema.properties = properties;
    if (required.length) schema.required = required;
    return schema;
  }

  private convertAlias(model: ModelFile, decl: ts.TypeAliasDeclaration): Schema {
    const description = docComment(decl, model.source);
    const withDoc = (s: Schema): Schema => (description ? { description, ...s } : s);
    // Upstream publishes these two through OpenAPIV3OneOfTypes rather than a single type.
    if (model.name === 'io.k8s.apimachinery.pkg.util.intstr.IntOrString') {
      return withDoc({ format: 'int-or-string', oneOf: [{ type: 'integer' }, { type: 'string' }] });
    }
    if (model.name === 'io.k8s.apimachinery.pkg.api.resource.Quantity') {
      return withDoc({ oneOf: [{ type: 'string' }, { type: 'number' }] });
    }
    return withDoc(this.convertType(model, decl.type, model.facts?.top() ?? NO_FACTS, false));
  }

  /** asProperty: named references become `allOf: [$ref]` so a description can sit beside them. */
  private convertType(model: ModelFile, node: ts.TypeNode, facts: NumericFacts, asProperty: boolean): Schema {
    if (ts.isParenthesizedTypeNode(node)) return this.convertType(model, node.type, facts, asProperty);
    switch (node.kind) {
      case ts.SyntaxKind.StringKeyword:
        return withFormat({ type: 'string' }, facts, ['byte', 'date-time']);
      case ts.SyntaxKind.NumberKeyword: {
        const isDouble = facts.type === 'number' || facts.formats.includes('double');
        return withFormat({ type: isDouble ? 'number' : 'integer' }, facts, isDouble ? ['double'] : ['int32', 'int64']);
      }
      case ts.SyntaxKind.BooleanKeyword:
        return { type: 'boolean' };
      case ts.SyntaxKind.AnyKeyword:
      case ts.SyntaxKind.UnknownKeyword:
      case ts.SyntaxKind.ObjectKeyword:
        return { type: 'object' };
    }
    if (ts.isLiteralTypeNode(node) && ts.isStringLiteral(node.literal)) return { type: 'string', enum: [node.literal.text] };
    if (ts.isUnionTypeNode(node)) {
      const literals = node.types.filter((t) => ts.isLiteralTypeNode(t) && ts.isStringLiteral(t.literal));
      if (literals.length === node.types.length) {
        return { type: 'string', enum: literals.map((t) => ((t as ts.LiteralTypeNode).literal as ts.StringLiteral).text) };
      }
      return this.convertType(model, node.types[0], facts, asProperty);
    }
    if (ts.isArrayTypeNode(node)) return { type: 'array', items: this.itemSchema(model, node.elementType, facts) };
    if (ts.isTypeReferenceNode(node)) {
      const id = ts.isIdentifier(node.typeName) ? node.typeName.text : node.typeName.right.text;
      if (id === 'Array' && node.typeArguments?.length === 1) {
        return { type: 'array', items: this.itemSchema(model, node.typeArguments[0], facts) };
      }
      const target = model.imports.get(id);
      if (!target) throw new Error(`reading ${model.source.fileName}: type ${id} is not imported from a model file`);
      const name = this.load(target);
      return asProperty ? refProperty(name) : ref(name);
    }
    if (ts.isTypeLiteralNode(node)) {
      const index = node.members.find(ts.isIndexSignatureDeclaration);
      if (index) return { type: 'object', additionalProperties: this.convertType(model, index.type, facts, false) };
      if (node.members.length === 0) return { type: 'object' };
    }
    throw new Error(`reading ${model.source.fileName}: unsupported type ${node.getText(model.source)}`);
  }

  private itemSchema(model: ModelFile, node: ts.TypeNode, facts: NumericFacts): Schema {
    const items = this.convertType(model, node, facts, false);
    // Upstream gives struct list items `default: {}` next to the ref (non-pointer elements).
    if (items.$ref && this.isObjectModel(items.$ref)) return { allOf: [items], default: {} };
    return items;
  }

  private isObjectModel(refString: string): boolean {
    const s = this.schemas.get(refString.slice(refString.lastIndexOf('/') + 1));
    if (!s || s.type === 'object') return true;
    // Still being read (a reference cycle): only structs can be recursive.
    return s.type === undefined && !s.oneOf && !s.format;
  }
}

function withFormat(s: Schema, facts: NumericFacts, allowed: string[]): Schema {
  const format = facts.formats.find((f) => allowed.includes(f));
  return format ? { ...s, format } : s;
}

/** Node-style lookup of a module specifier from a directory; returns the path without .d.ts. */
function resolveModule(fromDir: string, spec: string): string {
  if (spec.startsWith('.')) return path.resolve(fromDir, spec);
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', spec);
    if (existsSync(`${candidate}.d.ts`)) return candidate;
    if (path.dirname(dir) === dir) break;
  }
  throw new Error(`reading model declarations: cannot resolve ${spec} from ${fromDir}`);
}

/**
 * Upstream's definition name for a model file: the Go package path of the type.
 * kubernetes-models/apps/v1/Deployment → io.k8s.api.apps.v1.Deployment,
 * kubernetes-models/v1/Pod → io.k8s.api.core.v1.Pod,
 * @kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta → io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta.
 */
export function upstreamName(file: string): { name: string; pkgRoot: string } {
  const norm = file.split(path.sep).join('/');
  const api = norm.lastIndexOf('/node_modules/kubernetes-models/');
  const machinery = norm.lastIndexOf('/node_modules/@kubernetes-models/apimachinery/');
  if (machinery > api) {
    const pkgRoot = norm.slice(0, machinery) + '/node_modules/@kubernetes-models/apimachinery';
    const rel = norm.slice(pkgRoot.length + 1).split('/');
    return { name: `io.k8s.apimachinery.pkg.${rel.join('.')}`, pkgRoot };
  }
  if (api >= 0) {
    const pkgRoot = norm.slice(0, api) + '/node_modules/kubernetes-models';
    const rel = norm.slice(pkgRoot.length + 1).split('/');
    if (rel.length === 2) return { name: `io.k8s.api.core.${rel.join('.')}`, pkgRoot };
    if (rel.length === 3) return { name: `io.k8s.api.${rel[0].split('.')[0]}.${rel[1]}.${rel[2]}`, pkgRoot };
  }
  throw new Error(`reading model declarations: ${file} is not a kubernetes-models type`);
}

/** The .d.ts path (without extension) of a built-in kind's model in kubernetes-models. */
export function kubernetesModelFile(modelsRoot: string, group: string, version: string, kind: string): string {
  return group ? path.join(modelsRoot, group, version, kind) : path.join(modelsRoot, version, kind);
}
