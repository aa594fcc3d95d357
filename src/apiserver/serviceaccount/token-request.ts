import type { FieldError, KObject } from '../../api/types.js';
import { invalidMessage, causeMessage } from '../../api/validation/field.js';
import { resolveBoundObject, type BoundObjectReference } from '../../api/strategy/serviceaccount.js';
import { sendJSON } from '../http.js';
import { BodyDecodeError, readObjectBody } from '../body.js';
import { ApiError, errors, apiError } from '../../api/errors.js';
import type { RestContext } from '../handlers/context.js';
import type { Objects } from '../objects.js';
import { EXPIRATION_EXTENSION_SECONDS, tokenClaims, WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS, type ObjectRef, type TokenSigner } from './jwt.js';

// serviceaccounts/token: the TokenRequest API (pkg/registry/core/serviceaccount/storage/token.go
// and pkg/apis/authentication/validation). It stores nothing: it signs a token for the account,
// optionally bound to a pod, secret or node of the same namespace, and answers with it.

const GROUP = 'authentication.k8s.io';
const API_VERSION = `${GROUP}/v1`;

/** SetDefaults_TokenRequestSpec: one hour. */
export const DEFAULT_EXPIRATION_SECONDS = 60 * 60;

interface TokenRequest {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; [k: string]: unknown };
  spec?: { audiences?: string[] | null; expirationSeconds?: number | null; boundObjectRef?: BoundObjectReference | null };
  status?: unknown;
}


function invalid(name: string, errs: FieldError[]): ApiError {
  return apiError(422, 'Invalid', invalidMessage('TokenRequest', GROUP, name, errs), {
    name,
    group: GROUP,
    kind: 'TokenRequest',
    causes: errs.map((e) => ({ reason: e.type, message: causeMessage(e), field: e.field })),
  });
}

/** ValidateTokenRequest. */
export function validateTokenRequest(expirationSeconds: number): FieldError[] {
  const errs: FieldError[] = [];
  if (expirationSeconds < 10 * 60) errs.push({ type: 'FieldValueInvalid', field: 'spec.expirationSeconds', value: expirationSeconds, detail: 'may not specify a duration less than 10 minutes' });
  if (expirationSeconds > 2 ** 32) errs.push({ type: 'FieldValueInvalid', field: 'spec.expirationSeconds', value: expirationSeconds, detail: 'may not specify a duration larger than 2^32 seconds' });
  return errs;
}

async function decode(ctx: RestContext): Promise<TokenRequest> {
  let raw: unknown;
  try {
    raw = await readObjectBody(ctx.req);
  } catch (e) {
    if (!(e instanceof BodyDecodeError)) throw e;
    const why = e.protobuf ? e.message : `json parse error: ${e.message}`;
    throw errors.badRequest(`TokenRequest in version "v1" cannot be handled as a TokenRequest: ${why}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw errors.badRequest('TokenRequest in version "v1" cannot be handled as a TokenRequest: not an object');
  const tr = raw as TokenRequest;
  if (tr.kind && tr.kind !== 'TokenRequest') throw errors.badRequest(`${tr.kind} in version "v1" cannot be handled as a TokenRequest: no kind "${tr.kind}" is registered for version "${tr.apiVersion ?? API_VERSION}"`);
  if (tr.apiVersion && tr.apiVersion !== API_VERSION) throw errors.badRequest(`the API version in the data (${tr.apiVersion}) does not match the expected API version (${API_VERSION})`);
  return tr;
}

const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

/** POST /api/v1/namespaces/<ns>/serviceaccounts/<name>/token. */
export async function createToken(ctx: RestContext, objects: Objects, signer: TokenSigner, apiAudiences: string[]): Promise<void> {
  if ((ctx.req.method ?? 'GET') !== 'POST') throw errors.methodNotAllowed();
  const namespace = ctx.info.namespace;
  const name = ctx.info.name!;
  if (!namespace) throw errors.badRequest('namespace is required');
  const req = await decode(ctx);
  const meta = (req.metadata ??= {});
  if (meta.name && meta.name !== name) {
    throw invalid(name, [{ type: 'FieldValueInvalid', field: 'metadata.name', value: meta.name, detail: 'must match the service account name if specified' }]);
  }
  if (meta.namespace && meta.namespace !== namespace) {
    throw invalid(name, [{ type: 'FieldValueInvalid', field: 'metadata.namespace', value: meta.namespace, detail: 'must match the service account namespace if specified' }]);
  }
  const get = (def: { plural: string; group: string }, ns: string, n: string): KObject => {
    const e = objects.store.get(`core/${def.plural}`, ns, n);
    if (!e) throw errors.notFound(def, n);
    return JSON.parse(e.json) as KObject;
  };
  const sa = get({ plural: 'serviceaccounts', group: '' }, namespace, name);

  const spec = (req.spec ??= {});
  if (!spec.audiences || spec.audiences.length === 0) spec.audiences = [...apiAudiences];
  if (spec.expirationSeconds === undefined || spec.expirationSeconds === null) spec.expirationSeconds = DEFAULT_EXPIRATION_SECONDS;
  if (typeof spec.expirationSeconds !== 'number' || !Number.isInteger(spec.expirationSeconds)) {
    throw errors.badRequest(`TokenRequest in version "v1" cannot be handled as a TokenRequest: json: cannot unmarshal ${typeof spec.expirationSeconds} into Go struct field TokenRequestSpec.spec.expirationSeconds of type int64`);
  }
  meta.name ||= name;
  meta.namespace ||= namespace;
  // Taken before the token is built, so the status never promises more than the token's exp.
  const now = Date.now();
  meta.creationTimestamp = rfc3339(now);
  const errs = validateTokenRequest(spec.expirationSeconds);
  if (errs.length) throw invalid('', errs);

  const ref = spec.boundObjectRef ?? undefined;
  const { pod, node, secret } = ref
    ? resolveBoundObject(ref, namespace, name, {
        get: (plural, ns, n) => get({ plural, group: '' }, ns, n),
        find: (plural, ns, n) => {
          const e = objects.store.get(`core/${plural}`, ns, n);
          return e ? (JSON.parse(e.json) as KObject) : undefined;
        },
      })
    : {};

  // Tokens the ServiceAccount admission plugin asks for (3607 s, pod-bound, for the API's own
  // audience) live a year and only warn after the hour (--service-account-extend-token-expiration,
  // on by default), so clients that do not re-read their token keep working.
  let exp = spec.expirationSeconds;
  let warnAfter = 0;
  if (pod && exp === WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS && spec.audiences.every((a) => apiAudiences.includes(a))) {
    warnAfter = exp;
    exp = EXPIRATION_EXTENSION_SECONDS;
  }
  const refOf = (o: KObject | undefined): ObjectRef | undefined => (o ? { name: o.metadata.name ?? '', uid: o.metadata.uid ?? '' } : undefined);
  const token = signer.sign(
    tokenClaims({
      namespace,
      serviceAccount: refOf(sa)!,
      pod: refOf(pod),
      node: refOf(node),
      secret: refOf(secret),
      audiences: spec.audiences,
      expirationSeconds: exp,
      warnAfterSeconds: warnAfter,
      now: new Date(now),
    }),
  );
  sendJSON(ctx.res, 201, {
    kind: 'TokenRequest',
    apiVersion: API_VERSION,
    metadata: meta,
    spec: { audiences: spec.audiences, expirationSeconds: spec.expirationSeconds, boundObjectRef: ref ?? null },
    status: { token, expirationTimestamp: rfc3339(now + spec.expirationSeconds * 1000) },
  });
}
