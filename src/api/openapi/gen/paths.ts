// The REST paths of one resource as upstream documents them. kubectl reads two things from
// them: explain finds a resource's GVK through the operations' x-kubernetes-group-version-kind,
// and apply/create/replace trust server-side field validation only when *every* PATCH
// operation of the GVK lists a `fieldValidation` query parameter (queryParamVerifierV3 stops
// at the first PATCH it meets for the GVK, in map order).

import { isBuiltInGroup } from '../../patch-types.js';
import type { ResourceDef } from '../../types.js';
import { ref, type Schema } from './schema.js';

interface GVK { group: string; kind: string; version: string }

type Parameter = { name: string; in: 'query' | 'path'; description: string; required?: boolean; schema: Schema };

const q = (name: string, description: string, type = 'string'): Parameter => ({
  name, in: 'query', description, schema: type === 'string' ? { type, uniqueItems: true } as Schema : { type },
});

const PRETTY = q('pretty', "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent indicates a browser or command-line HTTP tool (curl and wget).");
const DRY_RUN = q('dryRun', 'When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed');
const FIELD_MANAGER = q('fieldManager', 'fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint.');
const FIELD_VALIDATION = q('fieldValidation', 'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. This is the default behavior prior to v1.23. - Warn: This will send a warning via the standard warning response header for each unknown field that is dropped from the object, and for each duplicate field that is encountered. The request will still succeed if there are no other errors, and will only persist the last of any duplicate fields. This is the default in v1.23+ - Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present. The error returned from the server will contain all unknown and duplicate fields encountered.');
const FORCE = q('force', 'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests.', 'boolean');
const LIST_PARAMS: Parameter[] = [
  q('allowWatchBookmarks', 'allowWatchBookmarks requests watch events with type "BOOKMARK". Servers that do not implement bookmarks may ignore this flag and bookmarks are sent at the server\'s discretion.', 'boolean'),
  q('continue', 'The continue option should be set when retrieving more results from the server.'),
  q('fieldSelector', 'A selector to restrict the list of returned objects by their fields. Defaults to everything.'),
  q('labelSelector', 'A selector to restrict the list of returned objects by their labels. Defaults to everything.'),
  q('limit', 'limit is a maximum number of responses to return for a list call.', 'integer'),
  q('resourceVersion', 'resourceVersion sets a constraint on what resource versions a request may be served from.'),
  q('resourceVersionMatch', 'resourceVersionMatch determines how resourceVersion is applied to list calls.'),
  q('sendInitialEvents', '`sendInitialEvents=true` may be set together with `watch=true`. In that case, the watch stream will begin with synthetic events to produce the current state of objects in the collection.', 'boolean'),
  q('timeoutSeconds', 'Timeout for the list/watch call.', 'integer'),
  q('watch', 'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.', 'boolean'),
];
const DELETE_PARAMS: Parameter[] = [
  DRY_RUN,
  q('gracePeriodSeconds', 'The duration in seconds before the object should be deleted. Value must be non-negative integer.', 'integer'),
  q('ignoreStoreReadErrorWithClusterBreakingPotential', 'if set to true, it will trigger an unsafe deletion of the resource in case the normal deletion flow fails with a corrupt object error.', 'boolean'),
  q('propagationPolicy', "Whether and how garbage collection will be performed. Acceptable values are: 'Orphan', 'Dependents', 'Background' and 'Foreground'."),
];

const pathParam = (name: string, description: string): Parameter => ({
  name, in: 'path', description, required: true, schema: { type: 'string', uniqueItems: true } as Schema,
});

const STATUS = 'io.k8s.apimachinery.pkg.apis.meta.v1.Status';
const DELETE_OPTIONS = 'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions';
const PATCH = 'io.k8s.apimachinery.pkg.apis.meta.v1.Patch';
export const SCALE = 'io.k8s.api.autoscaling.v1.Scale';

function content(schemaName: string, types = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf']): Record<string, { schema: Schema }> {
  return Object.fromEntries(types.map((t) => [t, { schema: ref(schemaName) }]));
}

function responses(codes: Record<string, string>, schemaName: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [code, description] of Object.entries(codes)) out[code] = { description, content: content(schemaName) };
  out['401'] = { description: 'Unauthorized' };
  return out;
}

/** Upstream operationId spelling: group `networking.k8s.io` → `Networking`, core → `Core`. */
function groupWord(group: string): string {
  if (!group) return 'Core';
  const parts = group.endsWith('.k8s.io') ? [group.split('.')[0]] : group.split('.');
  return parts.map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join('');
}

export interface ResourcePathsInput {
  def: ResourceDef;
  version: string;
  kindSchema: string;
  listSchema: string;
}

/** The path items of one resource in one version. */
export function resourcePaths({ def, version, kindSchema, listSchema }: ResourcePathsInput): Record<string, unknown> {
  const gvk: GVK = { group: def.group, kind: def.kind, version };
  const prefix = def.group ? `/apis/${def.group}/${version}` : `/api/${version}`;
  const scope = def.namespaced ? `${prefix}/namespaces/{namespace}/${def.plural}` : `${prefix}/${def.plural}`;
  const idWord = `${groupWord(def.group)}${version.charAt(0).toUpperCase()}${version.slice(1)}`;
  const ns = def.namespaced ? 'Namespaced' : '';
  const tag = `${def.group ? groupWord(def.group).charAt(0).toLowerCase() + groupWord(def.group).slice(1) : 'core'}_${version}`;
  const nameParam = pathParam('name', `name of the ${def.kind}`);
  const nsParam = pathParam('namespace', 'object name and auth scope, such as for teams and projects');
  const scopeParams = def.namespaced ? [nsParam, PRETTY] : [PRETTY];
  const verbs = new Set(def.verbs ?? []);

  const op = (action: string, verb: string, description: string, extra: Record<string, unknown>, opGvk: GVK = gvk) => ({
    [verb]: {
      tags: [tag],
      description,
      operationId: `${action}${idWord}${extra.idSuffix ?? ''}`,
      ...(extra.parameters ? { parameters: extra.parameters } : {}),
      ...(extra.requestBody ? { requestBody: extra.requestBody } : {}),
      responses: extra.responses,
      'x-kubernetes-action': extra.action,
      'x-kubernetes-group-version-kind': opGvk,
    },
  });
  const body = (schemaName: string) => ({ content: content(schemaName, ['*/*']), required: true });
  const patchBody = {
    content: Object.fromEntries(
      ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', ...(isBuiltInGroup(def.group) ? ['application/strategic-merge-patch+json'] : [])]
        .map((t) => [t, { schema: ref(PATCH) }]),
    ),
    required: true,
  };

  const itemOps = (suffix: string, schemaName: string, opGvk: GVK, what: string) => ({
    ...op('read', 'get', `read ${what} of the specified ${def.kind}`, { idSuffix: `${ns}${def.kind}${suffix}`, action: 'get', responses: responses({ 200: 'OK' }, schemaName) }, opGvk),
    ...op('replace', 'put', `replace ${what} of the specified ${def.kind}`, {
      idSuffix: `${ns}${def.kind}${suffix}`, action: 'put', parameters: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION],
      requestBody: body(schemaName), responses: responses({ 200: 'OK', 201: 'Created' }, schemaName),
    }, opGvk),
    ...op('patch', 'patch', `partially update ${what} of the specified ${def.kind}`, {
      idSuffix: `${ns}${def.kind}${suffix}`, action: 'patch', parameters: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION, FORCE],
      requestBody: patchBody, responses: responses({ 200: 'OK', 201: 'Created' }, schemaName),
    }, opGvk),
  });

  const paths: Record<string, unknown> = {};
  paths[scope] = {
    ...(verbs.has('list') ? op('list', 'get', `list or watch objects of kind ${def.kind}`, {
      idSuffix: `${ns}${def.kind}`, action: 'list', parameters: LIST_PARAMS, responses: responses({ 200: 'OK' }, listSchema),
    }) : {}),
    ...(verbs.has('create') ? op('create', 'post', `create a ${def.kind}`, {
      idSuffix: `${ns}${def.kind}`, action: 'post', parameters: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION],
      requestBody: body(kindSchema), responses: responses({ 200: 'OK', 201: 'Created', 202: 'Accepted' }, kindSchema),
    }) : {}),
    ...(verbs.has('deletecollection') ? op('delete', 'delete', `delete collection of ${def.kind}`, {
      idSuffix: `Collection${ns}${def.kind}`, action: 'deletecollection', parameters: [...DELETE_PARAMS, ...LIST_PARAMS.filter((p) => p.name !== 'watch' && p.name !== 'allowWatchBookmarks')],
      requestBody: body(DELETE_OPTIONS), responses: responses({ 200: 'OK' }, STATUS),
    }) : {}),
    parameters: scopeParams,
  };
  paths[`${scope}/{name}`] = {
    ...itemOps('', kindSchema, gvk, 'the'),
    ...(verbs.has('delete') ? op('delete', 'delete', `delete a ${def.kind}`, {
      idSuffix: `${ns}${def.kind}`, action: 'delete', parameters: DELETE_PARAMS,
      requestBody: body(DELETE_OPTIONS), responses: responses({ 200: 'OK', 202: 'Accepted' }, STATUS),
    }) : {}),
    parameters: [nameParam, ...scopeParams],
  };
  if (def.status) {
    paths[`${scope}/{name}/status`] = { ...itemOps('Status', kindSchema, gvk, 'status'), parameters: [nameParam, ...scopeParams] };
  }
  if (def.scale) {
    paths[`${scope}/{name}/scale`] = {
      ...itemOps('Scale', SCALE, { group: 'autoscaling', kind: 'Scale', version: 'v1' }, 'scale'),
      parameters: [nameParam, ...scopeParams],
    };
  }
  if (def.namespaced && verbs.has('list')) {
    paths[`${prefix}/${def.plural}`] = {
      ...op('list', 'get', `list or watch objects of kind ${def.kind}`, {
        idSuffix: `${def.kind}ForAllNamespaces`, action: 'list', responses: responses({ 200: 'OK' }, listSchema),
      }),
      parameters: [...LIST_PARAMS, PRETTY],
    };
  }
  return paths;
}
