import type { KObject, ResourceDef } from '../../api/types.js';
import { apiError, errors } from '../../api/errors.js';
import { formatLabelSelector, type LabelSelector } from '../../api/selectors.js';
import { applyPatch, patchTypeOf, PatchError } from '../patch/index.js';
import { mediaType, sendJSON } from '../http.js';
import { BodyDecodeError, readObjectBody, readPatchBody } from '../body.js';
import { summarizeData } from '../json-syntax.js';
import type { RestContext } from './context.js';
import { PATCH_TYPES } from './patch.js';
import { dryRun, fieldManager, patchFailed } from './rest.js';

// The scale subresource of any kind whose definition says where its replicas live
// (autoscaling/v1 Scale, as upstream's ScaleREST of deployments and replicasets).

function readPath(obj: unknown, path: string): unknown {
  let v: unknown = obj;
  for (const p of path.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[p] : undefined;
  return v;
}

function writePath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let o = obj;
  for (const p of parts.slice(0, -1)) {
    if (!o[p] || typeof o[p] !== 'object') o[p] = {};
    o = o[p] as Record<string, unknown>;
  }
  o[parts[parts.length - 1]] = value;
}

function scaleOf(def: ResourceDef, obj: KObject): KObject {
  const s = def.scale!;
  const spec = readPath(obj, s.specReplicasPath) as number | undefined;
  const status = readPath(obj, s.statusReplicasPath) as number | undefined;
  const selector = s.selectorPath ? formatLabelSelector(readPath(obj, s.selectorPath) as LabelSelector) : undefined;
  const m = obj.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: spec ?? 0 },
    status: { replicas: status ?? 0, ...(selector !== undefined ? { selector } : {}) },
  };
}

async function decodeScale(ctx: RestContext): Promise<unknown> {
  try {
    return await readObjectBody(ctx.req);
  } catch (e) {
    if (!(e instanceof BodyDecodeError)) throw e;
    if (e.protobuf) throw errors.badRequest(`Scale in version "v1" cannot be handled as a Scale: ${e.message}`);
    throw errors.badRequest(`the object provided is unrecognized (must be of type Scale): couldn't get version/kind; json parse error: ${e.message} (${summarizeData(e.body)})`);
  }
}

async function patchScale(ctx: RestContext, current: KObject): Promise<unknown> {
  const ctype = mediaType(ctx.req.headers['content-type']);
  const type = patchTypeOf(ctype);
  if (!type || type === 'apply') throw errors.unsupportedMediaType(ctype, PATCH_TYPES.filter((t) => !t.includes('apply')));
  let body: unknown;
  try {
    body = await readPatchBody(ctx.req, false);
  } catch (e) {
    if (e instanceof BodyDecodeError) throw errors.badRequest(`error decoding patch: ${e.message}`);
    throw e;
  }
  try {
    return applyPatch(type, current, body, { group: 'autoscaling', kind: 'Scale' });
  } catch (e) {
    if (e instanceof PatchError) throw patchFailed(e);
    throw e;
  }
}

export async function serveScale(ctx: RestContext, method: string): Promise<void> {
  const { def, info, objects } = ctx;
  const obj = objects.get(def, info.namespace, info.name!);
  if (method === 'GET') {
    sendJSON(ctx.res, 200, scaleOf(def, obj));
    return;
  }
  let scale: KObject;
  if (method === 'PUT') scale = (await decodeScale(ctx)) as KObject;
  else if (method === 'PATCH') scale = (await patchScale(ctx, scaleOf(def, obj))) as KObject;
  else throw errors.methodNotAllowed();
  if (!scale || typeof scale !== 'object') throw errors.badRequest('Scale body must be an object');
  const replicas = (scale.spec as { replicas?: unknown } | undefined)?.replicas;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw apiError(422, 'Invalid', `Scale.autoscaling "${info.name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas ?? null)}: must be greater than or equal to 0`, {
      name: info.name,
      group: 'autoscaling',
      kind: 'Scale',
      causes: [{ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(replicas ?? null)}: must be greater than or equal to 0`, field: 'spec.replicas' }],
    });
  }
  const rv = scale.metadata?.resourceVersion;
  if (rv && rv !== obj.metadata.resourceVersion) throw errors.conflict(def, info.name!);
  const next = structuredClone(obj);
  writePath(next, def.scale!.specReplicasPath, replicas);
  const stored = objects.update(def, next, { dryRun: dryRun(ctx), fieldManager: fieldManager(ctx) });
  sendJSON(ctx.res, 200, scaleOf(def, stored));
}
