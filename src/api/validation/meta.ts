import type { FieldError, KObject, ResourceDef } from '../types.js';
import { kindKey } from '../kinds.js';
import { child, forbidden, goStringSlice, GoValue, invalid, required, tooLong } from './field.js';
import { validateLabels } from './labels.js';
import { arr, isObject, jsonEqual, obj as asObject, type JsonObject } from './json.js';
import { isQualifiedName, nameIsDNS1035Label, nameIsDNSLabel, nameIsDNSSubdomain, type NameValidator } from './names.js';

// ObjectMeta rules shared by every kind (apimachinery's ValidateObjectMeta and
// ValidateObjectMetaUpdate, plus core's finalizer-name check for built-in kinds).

export const FIELD_IMMUTABLE = 'field is immutable';
export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;
const IS_NEGATIVE = 'must be greater than or equal to 0';

/** Name rules that differ from the DNS-1123 subdomain most kinds use. */
const NAME_RULES: Record<string, NameValidator> = {
  [kindKey('', 'Namespace')]: nameIsDNSLabel,
  [kindKey('', 'Service')]: nameIsDNS1035Label,
};

export function nameValidatorFor(def: ResourceDef): NameValidator {
  return NAME_RULES[kindKey(def.group, def.kind)] ?? nameIsDNSSubdomain;
}

/** Groups whose kinds are CustomResources upstream: they skip the built-in finalizer rule. */
const CUSTOM_GROUPS = new Set(['networking.istio.io']);
const STANDARD_FINALIZERS = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

export function validateObjectMeta(def: ResourceDef, obj: KObject, old?: KObject): FieldError[] {
  const meta = asObject(obj.metadata);
  const path = 'metadata';
  const errs: FieldError[] = [];
  if (!isObject(obj.metadata)) return [required(path, '')];

  if (!old) {
    const nameFn = nameValidatorFor(def);
    if (typeof meta.generateName === 'string' && meta.generateName !== '') {
      for (const m of nameFn(meta.generateName, true)) errs.push(invalid(child(path, 'generateName'), meta.generateName, m));
    }
    if (typeof meta.name !== 'string' || meta.name === '') {
      // A generateName is turned into a name by the apiserver before it stores the object.
      if (!meta.generateName) errs.push(required(child(path, 'name'), 'name or generateName is required'));
    } else {
      for (const m of nameFn(meta.name, false)) errs.push(invalid(child(path, 'name'), meta.name, m));
    }
    errs.push(...validateNamespaceField(def, meta, path));
    if (typeof meta.generation === 'number' && meta.generation < 0) errs.push(invalid(child(path, 'generation'), meta.generation, IS_NEGATIVE));
  } else {
    errs.push(...validateMetaUpdate(meta, asObject(old.metadata), path));
  }
  errs.push(...validateLabels(meta.labels, child(path, 'labels')));
  errs.push(...validateAnnotations(meta.annotations, child(path, 'annotations')));
  errs.push(...validateOwnerReferences(meta.ownerReferences, child(path, 'ownerReferences')));
  errs.push(...validateFinalizers(meta.finalizers, child(path, 'finalizers'), !CUSTOM_GROUPS.has(def.group)));
  return errs;
}

function validateNamespaceField(def: ResourceDef, meta: JsonObject, path: string): FieldError[] {
  const ns = meta.namespace;
  if (def.namespaced) {
    if (typeof ns !== 'string' || ns === '') return [required(child(path, 'namespace'), '')];
    return nameIsDNSLabel(ns, false).map((m) => invalid(child(path, 'namespace'), ns, m));
  }
  if (typeof ns === 'string' && ns !== '') return [forbidden(child(path, 'namespace'), 'not allowed on this type')];
  return [];
}

function validateMetaUpdate(meta: JsonObject, oldMeta: JsonObject, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (oldMeta.deletionTimestamp) {
    const oldF = new Set(arr(oldMeta.finalizers));
    const extra = [...new Set(arr(meta.finalizers))].filter((f) => !oldF.has(f)).map(String).sort();
    if (extra.length) {
      errs.push(forbidden(child(path, 'finalizers'), `no new finalizers can be added if the object is being deleted, found new finalizers ${goStringSlice(extra)}`));
    }
  }
  const immutable = (field: string, always: boolean, render: (v: unknown) => unknown = (v) => v ?? '') => {
    const nv = meta[field];
    const ov = oldMeta[field];
    // The apiserver copies system fields from the stored object; only a value the client sent can differ.
    if (!always && (nv === undefined || nv === null || nv === '')) return;
    if (!jsonEqual(nv ?? '', ov ?? '')) errs.push(invalid(child(path, field), render(nv), FIELD_IMMUTABLE));
  };
  immutable('name', true);
  immutable('namespace', true);
  immutable('uid', false);
  immutable('creationTimestamp', false, goTime);
  immutable('deletionTimestamp', false, goTime);
  immutable('deletionGracePeriodSeconds', false, (v) => v ?? null);
  return errs;
}

/** A metav1.Time as fmt prints it through time.Time's String(). */
function goTime(v: unknown): GoValue {
  if (typeof v !== 'string') return new GoValue('null');
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) return new GoValue(v);
  const p = (n: number) => String(n).padStart(2, '0');
  return new GoValue(`${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000 UTC`);
}

export function validateAnnotations(annotations: unknown, path: string): FieldError[] {
  if (!isObject(annotations)) return [];
  const errs: FieldError[] = [];
  let size = 0;
  for (const k of Object.keys(annotations).sort()) {
    // Annotation keys are qualified names in which case does not matter.
    for (const m of isQualifiedName(k.toLowerCase())) errs.push(invalid(path, k, m));
    size += Buffer.byteLength(k) + Buffer.byteLength(String(annotations[k] ?? ''));
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push(tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT));
  return errs;
}

function validateOwnerReferences(refs: unknown, path: string): FieldError[] {
  if (!Array.isArray(refs)) return [];
  const errs: FieldError[] = [];
  let firstController = '';
  for (const raw of refs) {
    const ref = asObject(raw);
    const apiVersion = String(ref.apiVersion ?? '');
    const version = apiVersion.includes('/') ? apiVersion.slice(apiVersion.indexOf('/') + 1) : apiVersion;
    if (!version) errs.push(invalid(child(path, 'apiVersion'), apiVersion, 'version must not be empty'));
    if (!ref.kind) errs.push(invalid(child(path, 'kind'), String(ref.kind ?? ''), 'must not be empty'));
    if (!ref.name) errs.push(invalid(child(path, 'name'), String(ref.name ?? ''), 'must not be empty'));
    if (!ref.uid) errs.push(invalid(child(path, 'uid'), String(ref.uid ?? ''), 'must not be empty'));
    if (apiVersion === 'v1' && ref.kind === 'Event') errs.push(invalid(path, new GoValue(JSON.stringify(raw)), '/v1, Kind=Event is disallowed from being an owner'));
    if (ref.controller === true) {
      const name = `${ref.kind}/${ref.name}`;
      if (firstController) {
        errs.push(invalid(path, new GoValue(JSON.stringify(refs)), `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${name}`));
      } else firstController = name;
    }
  }
  return errs;
}

function validateFinalizers(finalizers: unknown, path: string, builtIn: boolean): FieldError[] {
  if (!Array.isArray(finalizers)) return [];
  const errs: FieldError[] = [];
  for (const f of finalizers.map(String)) {
    for (const m of isQualifiedName(f)) errs.push(invalid(path, f, m));
    if (builtIn && !f.includes('/') && !STANDARD_FINALIZERS.has(f) && isQualifiedName(f).length === 0) {
      errs.push(invalid(path, f, 'name is neither a standard finalizer name nor is it fully qualified'));
    }
  }
  if (finalizers.includes('orphan') && finalizers.includes('foregroundDeletion')) {
    errs.push(invalid(path, new GoValue(goStringSlice(finalizers.map(String))), 'finalizer orphan and foregroundDeletion cannot be both set'));
  }
  return errs;
}

/** ValidateImmutableField: Invalid with the new value when old and new differ. */
export function validateImmutable(newVal: unknown, oldVal: unknown, path: string, render: (v: unknown) => unknown = (v) => v): FieldError[] {
  return jsonEqual(newVal, oldVal) ? [] : [invalid(path, render(newVal), FIELD_IMMUTABLE)];
}

export function validateNonnegative(v: unknown, path: string): FieldError[] {
  return typeof v === 'number' && v < 0 ? [invalid(path, v, IS_NEGATIVE)] : [];
}

