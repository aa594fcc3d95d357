// Shapes shared by the registry, the apiserver and the controllers. Objects travel as plain
// JSON; the typed model libraries are used at build time (OpenAPI) and in tests, not here,
// so that the control plane stays small in memory.

import type { IDeploymentSpec } from 'kubernetes-models/apps/v1/DeploymentSpec';
import type { Strategy } from './strategy/types.js';

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string | null;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: unknown[];
  [key: string]: unknown;
}

export interface KObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/**
 * An object of a kind whose fields are typed by a kubernetes-models interface (`ObjectOf<IPod>`),
 * as the API serves it: still a KObject, with metadata always present.
 */
export type ObjectOf<T> = T & KObject;

/**
 * meta/v1 LabelSelector and its requirement, taken through a kind that embeds them: their own
 * package (@kubernetes-models/apimachinery) is only a dependency of kubernetes-models.
 */
export type LabelSelector = IDeploymentSpec['selector'];
export type LabelSelectorRequirement = NonNullable<LabelSelector['matchExpressions']>[number];

/** One validation failure, as k8s.io/apimachinery/pkg/util/validation/field.Error. */
export type FieldErrorType =
  | 'FieldValueInvalid'
  | 'FieldValueRequired'
  | 'FieldValueNotSupported'
  | 'FieldValueDuplicate'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueTypeInvalid'
  | 'FieldValueNotFound'
  | 'InternalError';

export interface FieldError {
  type: FieldErrorType;
  /** Dotted path as upstream prints it, e.g. `spec.rules[0].http.paths[0].path`. */
  field: string;
  /** The offending value, printed as upstream does (strings quoted). Omitted for Required. */
  value?: unknown;
  /** Extra text after the value; for NotSupported, the list of supported values. */
  detail?: string;
  /** For FieldValueNotSupported: the supported values. */
  supported?: string[];
}

export interface TableColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format: string;
  description: string;
  priority: number;
}

export interface Printer {
  columns: TableColumn[];
  /** Cells for one object, in column order. `now` is injected for Age so tests are stable. */
  cells(obj: KObject, now: number): unknown[];
}

/** The scale subresource: where replicas live in the object, as upstream's Scale mapping. */
export interface ScaleSpec {
  specReplicasPath: string; // e.g. 'spec.replicas'
  statusReplicasPath: string; // e.g. 'status.replicas'
  selectorPath?: string; // e.g. 'spec.selector' (a LabelSelector) rendered into status.selector
}

/** A subresource's discovery facts: the kind it answers with and its verbs. */
export interface SubresourceDef {
  name: string;
  responseKind: { group: string; version: string; kind: string };
  verbs: string[];
}

/** A validating admission webhook's answer: a refusal's message, and warnings for the client. */
export interface WebhookAnswer {
  webhook: string;
  denied?: string;
  warnings: string[];
}

export interface ResourceDef {
  group: string; // '' for the core group
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  /** Served versions, preferred first. */
  versions: string[];
  /** The version objects are stored in; reads in other versions go through `convert`. */
  storageVersion: string;
  verbs?: string[];
  /** Subresources beyond the object itself. */
  status?: boolean;
  scale?: ScaleSpec;
  /** Subresources besides status and scale (log, exec, binding, finalize, token…), as discovery lists them. */
  subresources?: SubresourceDef[];
  /** metadata.generation increases when anything but metadata and status changes. */
  generation?: boolean;
  /** Convert between versions of this kind; objects carry their apiVersion. */
  convert?(obj: KObject, toVersion: string): KObject;
  /** Mutating admission on create, after defaulting (upstream's admission chain); ctx reads stored objects. */
  admit?(obj: KObject, ctx: { list(resource: string): KObject[]; get?(resource: string, namespace: string, name: string): KObject | undefined }): void;
  /** What this kind adds to the generic create, update and delete, and how its subresources behave. */
  strategy?: Strategy;
  /** Fill upstream defaults in place (called on the storage version). */
  defaults?(obj: KObject): void;
  /** Validate a new object (old is set for updates). Works on the storage version. */
  validate?(obj: KObject, old?: KObject): FieldError[];
  /** A validating admission webhook's answer on create and update of the object itself, after validation. */
  validatingWebhook?(obj: KObject): WebhookAnswer | undefined;
  printer?: Printer;
  /** Field selectors beyond metadata.name/metadata.namespace: name → value getter. */
  fieldSelectors?: Record<string, (obj: KObject) => string | undefined>;
}

export function apiVersionOf(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

export function groupVersionOf(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}
