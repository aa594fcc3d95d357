// Assembles one OpenAPI v3 document per served group-version, as the apiserver publishes
// under /openapi/v3/<api/v1 | apis/<group>/<version>>: the resources' paths plus the
// closure of schemas they reference.

import { createHash } from 'node:crypto';
import path from 'node:path';
import type { ResourceDef } from '../../types.js';
import { ModelReader, kubernetesModelFile } from './model-reader.js';
import { istioKindSchema } from './istio-reader.js';
import { applyListSemantics } from './list-semantics.js';
import { resourcePaths, SCALE } from './paths.js';
import { refProperty, refsOf, type Schema } from './schema.js';

export interface GeneratedDocument {
  /** `api/v1`, `apis/apps/v1`, … */
  gvPath: string;
  body: Buffer;
  hash: string;
  /** GVK (`group/version/Kind`) → component name, for the kinds this document defines. */
  kinds: Record<string, string>;
}

export interface GenerateOptions {
  kinds: ResourceDef[];
  /** The node_modules directory holding kubernetes-models and @kubernetes-models/istio. */
  nodeModules: string;
}

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const ISTIO_GROUP = 'networking.istio.io';
// The library publishes v1alpha3 and v1beta1; Istio's v1 CRD version has v1beta1's schema.
const ISTIO_MODEL_VERSION: Record<string, string> = { v1: 'v1beta1', v1beta1: 'v1beta1', v1alpha3: 'v1alpha3' };

export function gvPathOf(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

/** `networking.istio.io` → `io.istio.networking`: upstream names CRD schemas by reversed group. */
function crdSchemaPrefix(group: string, version: string): string {
  return `${group.split('.').reverse().join('.')}.${version}`;
}

export function generateDocuments({ kinds, nodeModules }: GenerateOptions): GeneratedDocument[] {
  const models = new ModelReader();
  const modelsRoot = path.join(nodeModules, 'kubernetes-models');
  const machinery = path.join(modelsRoot, 'node_modules', '@kubernetes-models', 'apimachinery');
  const metaFile = (name: string) => path.join(machinery, 'apis', 'meta', 'v1', name);

  const status = models.load(metaFile('Status'));
  const deleteOptions = models.load(metaFile('DeleteOptions'));
  models.load(metaFile('Patch'));
  const objectMeta = models.load(metaFile('ObjectMeta'));
  const listMeta = models.load(metaFile('ListMeta'));
  // Kinds declare apiVersion/kind as bare literals; DeleteOptions documents them like upstream.
  const typeMetaDocs = models.schemas.get(deleteOptions)!.properties!;
  const typeMeta = (): Record<string, Schema> => ({ apiVersion: { ...typeMetaDocs.apiVersion }, kind: { ...typeMetaDocs.kind } });

  const groupVersions = new Map<string, { group: string; version: string; defs: ResourceDef[] }>();
  for (const def of kinds) {
    for (const version of def.versions) {
      const key = gvPathOf(def.group, version);
      const gv = groupVersions.get(key) ?? { group: def.group, version, defs: [] };
      gv.defs.push(def);
      groupVersions.set(key, gv);
    }
  }

  const out: GeneratedDocument[] = [];
  for (const [gvPath, { group, version, defs }] of [...groupVersions].sort(([a], [b]) => a.localeCompare(b))) {
    const own = new Map<string, Schema>(); // schemas built for this document only (CRDs)
    const roots = new Set<string>([status, deleteOptions, `${META}.Patch`]);
    const paths: Record<string, unknown> = {};
    const docKinds: Record<string, string> = {};
    const gvkOf = (kind: string) => [{ group, kind, version }];

    for (const def of defs) {
      let kindSchema: string;
      let listSchema: string;
      if (group === ISTIO_GROUP) {
        const prefix = crdSchemaPrefix(group, version);
        kindSchema = `${prefix}.${def.kind}`;
        listSchema = `${prefix}.${def.listKind}`;
        const crd = istioKindSchema(path.join(nodeModules, '@kubernetes-models', 'istio'), group, ISTIO_MODEL_VERSION[version] ?? version, def.kind);
        const props = crd.properties ?? {};
        own.set(kindSchema, {
          type: 'object',
          properties: {
            ...typeMeta(),
            metadata: refProperty(objectMeta, "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"),
            ...(props.spec ? { spec: props.spec } : {}),
            ...(props.status ? { status: props.status } : {}),
          },
          'x-kubernetes-group-version-kind': gvkOf(def.kind),
        });
        own.set(listSchema, {
          description: `${def.listKind} is a list of ${def.kind}`,
          type: 'object',
          properties: {
            ...typeMeta(),
            items: {
              description: `List of ${def.plural}. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md`,
              type: 'array',
              items: { $ref: `#/components/schemas/${kindSchema}` },
            },
            metadata: refProperty(listMeta, 'Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds'),
          },
          required: ['items'],
          'x-kubernetes-group-version-kind': gvkOf(def.listKind),
        });
        roots.add(objectMeta).add(listMeta);
      } else {
        kindSchema = models.load(kubernetesModelFile(modelsRoot, group, version, def.kind));
        listSchema = models.load(kubernetesModelFile(modelsRoot, group, version, def.listKind));
        roots.add(kindSchema).add(listSchema);
      }
      if (def.scale) roots.add(models.load(kubernetesModelFile(modelsRoot, 'autoscaling', 'v1', 'Scale')));
      docKinds[`${group}/${version}/${def.kind}`] = kindSchema;
      Object.assign(paths, resourcePaths({ def, version, kindSchema, listSchema }));
    }

    const schemas: Record<string, Schema> = {};
    const pending = [...roots, ...own.keys()];
    while (pending.length) {
      const name = pending.pop()!;
      if (schemas[name]) continue;
      const source = own.get(name) ?? models.schemas.get(name);
      if (!source) throw new Error(`generating OpenAPI ${gvPath}: schema ${name} is referenced but unknown`);
      const schema = structuredClone(source);
      applyListSemantics(name, schema);
      schemas[name] = schema;
      for (const r of refsOf(schema)) pending.push(r);
    }
    for (const def of defs) {
      if (group === ISTIO_GROUP) continue;
      const kindSchema = docKinds[`${group}/${version}/${def.kind}`];
      tagKind(schemas[kindSchema], gvkOf(def.kind), typeMetaDocs);
      tagKind(schemas[kindSchema.replace(/\.[^.]+$/, `.${def.listKind}`)], gvkOf(def.listKind), typeMetaDocs);
    }
    const scale = schemas[SCALE];
    if (scale) tagKind(scale, [{ group: 'autoscaling', kind: 'Scale', version: 'v1' }], typeMetaDocs);

    const sorted = Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b)));
    const sortedPaths = Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b)));
    const doc = {
      openapi: '3.0.0',
      info: { title: 'Kubernetes', version: 'unversioned' },
      paths: sortedPaths,
      components: { schemas: sorted },
    };
    const body = Buffer.from(JSON.stringify(doc));
    out.push({ gvPath, body, hash: createHash('sha512').update(body).digest('hex').toUpperCase(), kinds: docKinds });
  }
  return out;
}

function tagKind(schema: Schema | undefined, gvk: object[], typeMetaDocs: Record<string, Schema>): void {
  if (!schema?.properties) return;
  for (const field of ['apiVersion', 'kind'] as const) {
    const prop = schema.properties[field];
    if (prop && !prop.description) schema.properties[field] = { ...typeMetaDocs[field] };
  }
  schema['x-kubernetes-group-version-kind'] = gvk;
}
