import type { KObject } from '../../api/types.js';
import { apiVersionOf } from '../../api/types.js';
import { ApiError, apiError, errors } from '../../api/errors.js';
import { applyPatch, patchTypeOf, PatchError, serverSideApply } from '../patch/index.js';
import { mediaType } from '../http.js';
import { BodyDecodeError, readPatchBody } from '../body.js';
import type { RestContext } from './context.js';
import { inRequestVersion, sendObject } from './negotiation.js';
import { addWarnings, checkFields, checkKind, checkTypes, dryRun, fieldManager, patchFailed } from './rest.js';

export const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml', 'application/strategic-merge-patch+json'];

/** PATCH of an object or its status (handlers/patch.go): JSON, merge, strategic merge and server-side apply. */
export async function patchResource(ctx: RestContext, subresource?: string): Promise<void> {
  const { def, info, objects } = ctx;
  const ctype = mediaType(ctx.req.headers['content-type']);
  const type = patchTypeOf(ctype);
  if (!type) throw errors.unsupportedMediaType(ctype, PATCH_TYPES);
  let body: unknown;
  try {
    body = await readPatchBody(ctx.req, type === 'apply');
  } catch (e) {
    if (e instanceof BodyDecodeError) throw errors.badRequest(`error decoding patch: ${e.message}`);
    throw e;
  }
  // Merge-style patches mirror the object: a value of the wrong type fails here, as it would
  // decoding the patched object, before the merge walks it.
  if (type !== 'json' && body && typeof body === 'object' && !Array.isArray(body)) checkTypes(ctx, body as KObject, info.version);
  const isDryRun = dryRun(ctx);
  const manager = fieldManager(ctx);
  const apiVersion = apiVersionOf(def.group, info.version);
  let live: KObject | undefined;
  try {
    live = inRequestVersion(ctx, objects.get(def, info.namespace, info.name!));
  } catch (e) {
    if (!(type === 'apply' && e instanceof ApiError && e.code === 404 && !subresource)) throw e;
  }
  let result: KObject;
  try {
    if (type === 'apply') {
      if (!ctx.query.get('fieldManager')) throw apiError(422, 'Invalid', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
      if (body === null || typeof body !== 'object' || Array.isArray(body)) throw errors.badRequest('error decoding YAML: apply patch must be an object');
      const cfg = checkKind(ctx, body).obj;
      result = serverSideApply(live, cfg, manager!, ctx.query.get('force') === 'true', { group: def.group, kind: def.kind, apiVersion }) as KObject;
    } else {
      result = applyPatch(type, live!, body, { group: def.group, kind: def.kind }) as KObject;
    }
  } catch (e) {
    if (e instanceof PatchError) throw patchFailed(e);
    throw e;
  }
  if (!result || typeof result !== 'object' || typeof result.metadata !== 'object' || result.metadata === null) {
    throw errors.badRequest('the patch produced an object without metadata');
  }
  result.metadata.name = info.name;
  if (def.namespaced) result.metadata.namespace = info.namespace;
  result.apiVersion = apiVersion;
  result.kind = def.kind;
  checkTypes(ctx, result, info.version);
  checkFields(ctx, result, info.version);
  const storageObj = objects.toStorage(def, result, info.version);
  const warnings: string[] = [];
  if (!live) {
    delete storageObj.metadata.resourceVersion;
    const created = objects.create(def, storageObj, { dryRun: isDryRun, fieldManager: manager, apiVersion, managedFieldsRecorded: type === 'apply', warnings });
    addWarnings(ctx, warnings);
    sendObject(ctx, 201, created);
    return;
  }
  const stored = objects.update(def, storageObj, {
    dryRun: isDryRun,
    fieldManager: manager,
    apiVersion,
    // Server-side apply has already recorded its own managed fields (operation Apply).
    managedFieldsRecorded: type === 'apply',
    subresource,
    warnings,
  });
  addWarnings(ctx, warnings);
  sendObject(ctx, 200, stored);
}
