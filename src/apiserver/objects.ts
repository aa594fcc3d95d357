import { randomUUID, randomInt } from 'node:crypto';
import type { Registry } from '../api/registry.js';
import type { FieldError, KObject, ResourceDef } from '../api/types.js';
import { apiVersionOf } from '../api/types.js';
import { deepEqual } from '../api/equality.js';
import { validateObjectMeta } from '../api/validation/meta.js';
import { AdmissionForbidden } from '../api/admission/context.js';
import { causeMessage, invalidMessage } from '../api/validation/field.js';
import { recordUpdate } from './patch/index.js';
import { Store, type Entry } from '../storage/store.js';
import { ApiError, errors, apiError } from '../api/errors.js';
import { allocatorsFor, type Allocator } from './allocators/index.js';
import { kindKey } from '../api/kinds.js';

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  /** The apiVersion the client wrote in, recorded in managedFields. */
  apiVersion?: string;
  /**
   * The object's managedFields are already the write's own (server-side apply records its
   * Apply entry itself): kept as given rather than recorded as an Update.
   */
  managedFieldsRecorded?: boolean;
  /** Collects the warnings of validating webhooks, for the response's Warning headers. */
  warnings?: string[];
}

export interface DeleteOptions {
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  orphanDependents?: boolean;
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

export function storeResource(def: Pick<ResourceDef, 'group' | 'plural'>): string {
  return `${def.group || 'core'}/${def.plural}`;
}

function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

function withoutMetaAndStatus(o: KObject): Record<string, unknown> {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = o;
  return rest;
}

/**
 * The write rules every resource shares (upstream's generic registry and strategies):
 * server-set metadata, defaulting, validation, generation, status subresource separation,
 * finalizers and graceful deletion. Objects here are in the storage version.
 */
export class Objects {
  /** Pools (ClusterIPs, NodePorts…) that writes of some kinds take from, by kind key. */
  private readonly allocators: Record<string, Allocator>;
  /**
   * The JSON each object handed back by get, create and update is stored as, so the answer
   * need not serialize the same object again. Those objects are answered, not changed.
   */
  private readonly storedAs = new WeakMap<KObject, string>();

  constructor(
    readonly store: Store,
    readonly reg: Registry,
  ) {
    this.allocators = allocatorsFor(store);
  }

  parse(e: Entry): KObject {
    return JSON.parse(e.json) as KObject;
  }

  get(def: ResourceDef, namespace: string | undefined, name: string): KObject {
    const e = this.store.get(storeResource(def), def.namespaced ? namespace ?? '' : '', name);
    if (!e) throw errors.notFound(def, name);
    return this.remember(this.parse(e), e.json);
  }

  /** The stored JSON of an object get, create or update returned, while it has not been changed. */
  storedJson(obj: KObject): string | undefined {
    return this.storedAs.get(obj);
  }

  private remember(obj: KObject, json: string): KObject {
    this.storedAs.set(obj, json);
    return obj;
  }

  /** Converts a stored object to the version the client asked for. */
  toVersion(def: ResourceDef, obj: KObject, version: string): KObject {
    if (version === def.storageVersion || !def.convert) {
      obj.apiVersion = apiVersionOf(def.group, version);
      obj.kind = def.kind;
      return obj;
    }
    return def.convert(obj, version);
  }

  /** Converts an incoming object (in `version`) to the storage version. */
  toStorage(def: ResourceDef, obj: KObject, version: string): KObject {
    if (version !== def.storageVersion && def.convert) obj = def.convert(obj, def.storageVersion);
    obj.apiVersion = apiVersionOf(def.group, def.storageVersion);
    obj.kind = def.kind;
    return obj;
  }

  private checkNamespace(def: ResourceDef, obj: KObject): void {
    if (!def.namespaced) return;
    const ns = obj.metadata.namespace!;
    const e = this.store.get('core/namespaces', '', ns);
    if (!e) throw apiError(404, 'NotFound', `namespaces "${ns}" not found`, { name: ns, kind: 'namespaces' });
    const nsObj = this.parse(e);
    if (nsObj.metadata.deletionTimestamp) {
      throw apiError(403, 'Forbidden',
        `${def.plural}${def.group ? '.' + def.group : ''} "${obj.metadata.name ?? obj.metadata.generateName ?? ''}" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`,
        { name: obj.metadata.name, group: def.group || undefined, kind: def.plural, causes: [{ reason: 'NamespaceTerminating', message: `namespace ${ns} is being terminated`, field: 'metadata.namespace' }] },
      );
    }
  }

  private invalid(def: ResourceDef, name: string, errs: FieldError[]): ApiError {
    return apiError(422, 'Invalid', invalidMessage(def.kind, def.group, name, errs), {
      name,
      group: def.group || undefined,
      kind: def.kind,
      causes: errs.map((e) => ({ reason: e.type, message: causeMessage(e), field: e.field })),
    });
  }

  private validate(def: ResourceDef, obj: KObject, old?: KObject): void {
    const errs = [...validateObjectMeta(def, obj, old), ...(def.validate?.(obj, old) ?? [])];
    if (errs.length) throw this.invalid(def, obj.metadata.name ?? '', errs);
  }

  /** Validating admission after validation; a refusal is a 400 Status with no reason (webhook errors.ToStatusErr). */
  private validatingAdmission(def: ResourceDef, obj: KObject, opts: WriteOptions): void {
    const answer = def.validatingWebhook?.(obj);
    if (!answer) return;
    opts.warnings?.push(...answer.warnings);
    if (answer.denied === undefined) return;
    const message = `admission webhook ${JSON.stringify(answer.webhook)} denied the request: ${answer.denied}`;
    throw new ApiError(400, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, code: 400 });
  }

  create(def: ResourceDef, obj: KObject, opts: WriteOptions = {}): KObject {
    const m = (obj.metadata ??= {});
    if (!def.namespaced) delete m.namespace;
    // Admission refusals name the object as given: generation has not happened yet upstream.
    const givenName = m.name || m.generateName || '';
    if (!m.name && m.generateName) {
      let suffix = '';
      for (let i = 0; i < 5; i++) suffix += NAME_CHARS[randomInt(NAME_CHARS.length)];
      m.name = m.generateName + suffix;
    }
    m.uid = randomUUID();
    m.creationTimestamp = now();
    delete m.deletionTimestamp;
    delete m.deletionGracePeriodSeconds;
    delete m.resourceVersion;
    if (def.generation) m.generation = 1;
    else delete m.generation;
    this.prepareForCreate(def, obj);
    def.defaults?.(obj);
    try {
      def.admit?.(obj, {
        list: (resource) => this.store.list(resource).map((e) => JSON.parse(e.json) as KObject),
        get: (resource, namespace, name) => {
          const e = this.store.get(resource, namespace, name);
          return e ? (JSON.parse(e.json) as KObject) : undefined;
        },
      });
    } catch (e) {
      if (e instanceof AdmissionForbidden) throw errors.forbidden(def, givenName, e.message);
      throw e;
    }
    this.validate(def, obj);
    this.validatingAdmission(def, obj, opts);
    if (def.namespaced) this.checkNamespace(def, obj);
    if (this.store.get(storeResource(def), m.namespace ?? '', m.name!)) throw errors.alreadyExists(def, m.name!);
    if (!opts.managedFieldsRecorded) recordUpdate(undefined, obj, opts.fieldManager, opts.apiVersion ?? apiVersionOf(def.group, def.storageVersion));
    // After managedFields: allocated values belong to no client, as upstream. Nothing yields
    // between here and the store write, so no other request can take the same values.
    const alloc = this.allocatorOf(def);
    if (alloc) {
      const errs = alloc.allocateCreate(obj);
      if (errs.length) throw this.invalid(def, m.name!, errs);
    }
    if (opts.dryRun) return obj;
    return this.remember(obj, this.store.create(storeResource(def), obj).json);
  }

  private allocatorOf(def: ResourceDef): Allocator | undefined {
    return this.allocators[kindKey(def.group, def.kind)];
  }

  /** PrepareForCreate: the kind's own, or a status the client cannot set when status is a subresource. */
  private prepareForCreate(def: ResourceDef, obj: KObject): void {
    if (def.strategy?.prepareForCreate) def.strategy.prepareForCreate(obj);
    else if (def.status) obj.status = {};
  }

  /**
   * Replaces an object. `subresource` 'status' takes only the status from `obj`; another
   * subresource what its strategy lets it change. expectRv comes from metadata.resourceVersion when set.
   */
  update(def: ResourceDef, obj: KObject, opts: WriteOptions & { subresource?: string } = {}): KObject {
    const m = obj.metadata ?? {};
    const ns = def.namespaced ? m.namespace ?? '' : '';
    const res = storeResource(def);
    const cur = this.store.get(res, ns, m.name ?? '');
    if (!cur) throw errors.notFound(def, m.name ?? '');
    const old = this.parse(cur);
    const expectRv = m.resourceVersion ? Number(m.resourceVersion) : undefined;
    if (m.resourceVersion !== undefined && m.resourceVersion !== '' && expectRv !== cur.rv) throw errors.conflict(def, m.name!);

    let next: KObject;
    const alloc = this.allocatorOf(def);
    if (opts.subresource === 'status') {
      next = { ...old, status: obj.status };
    } else if (opts.subresource) {
      next = def.strategy?.subresources?.[opts.subresource]?.update?.(obj, old) ?? { ...obj };
    } else {
      next = { ...obj };
      // With a status subresource, the main resource cannot change status (upstream strategies).
      if (def.status) next.status = old.status;
      def.strategy?.prepareForUpdate?.(next, old);
      def.defaults?.(next);
      alloc?.prepareUpdate(next, old);
    }
    next.apiVersion = old.apiVersion;
    next.kind = old.kind;
    // Fields the server owns are not the client's to change.
    const meta = { ...(opts.subresource ? old.metadata : next.metadata) };
    meta.uid = old.metadata.uid;
    meta.creationTimestamp = old.metadata.creationTimestamp;
    meta.namespace = old.metadata.namespace;
    if (!def.namespaced) delete meta.namespace;
    meta.deletionTimestamp = old.metadata.deletionTimestamp;
    meta.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
    if (meta.deletionTimestamp === undefined) delete meta.deletionTimestamp;
    if (meta.deletionGracePeriodSeconds === undefined) delete meta.deletionGracePeriodSeconds;
    meta.managedFields = opts.managedFieldsRecorded && !opts.subresource ? next.metadata.managedFields : old.metadata.managedFields;
    if (meta.managedFields === undefined) delete meta.managedFields;
    if (def.generation) {
      meta.generation = (old.metadata.generation ?? 1) + (deepEqual(withoutMetaAndStatus(next), withoutMetaAndStatus(old)) ? 0 : 1);
    } else delete meta.generation;
    next.metadata = meta;
    if (!opts.subresource) {
      this.validate(def, next, old);
      this.validatingAdmission(def, next, opts);
    }
    if (!opts.subresource && alloc) {
      const errs = alloc.allocateUpdate(next, old);
      if (errs.length) throw this.invalid(def, m.name!, errs);
    }
    if (opts.subresource === 'status' && alloc) alloc.allocateStatus(next);
    if (old.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length > (old.metadata.finalizers ?? []).length) {
      const added = (next.metadata.finalizers ?? []).filter((f) => !(old.metadata.finalizers ?? []).includes(f));
      if (added.length) {
        throw this.invalid(def, m.name!, [{ type: 'FieldValueForbidden', field: 'metadata.finalizers', detail: `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(', ')}}` }]);
      }
    }
    // Nothing changed: upstream answers with the stored object and writes nothing.
    if (deepEqual({ ...next, metadata: { ...next.metadata, resourceVersion: undefined } }, { ...old, metadata: { ...old.metadata, resourceVersion: undefined } })) {
      return this.remember(old, cur.json);
    }
    if (!opts.managedFieldsRecorded) recordUpdate(old, next, opts.fieldManager, opts.apiVersion ?? apiVersionOf(def.group, def.storageVersion), opts.subresource);
    if (opts.dryRun) return next;
    if (this.finalized(def, next)) {
      this.store.delete(res, ns, next.metadata.name!, cur.rv);
      return next;
    }
    delete next.metadata.resourceVersion;
    return this.remember(next, this.store.update(res, next, cur.rv).json);
  }

  /** Being deleted and nothing left to wait for: the object can go. */
  private finalized(def: ResourceDef, obj: KObject): boolean {
    if (!obj.metadata.deletionTimestamp) return false;
    if ((obj.metadata.finalizers ?? []).length) return false;
    if (def.strategy?.pendingFinalization?.(obj)) return false;
    return (obj.metadata.deletionGracePeriodSeconds ?? 0) === 0;
  }

  /** Deletes per DeleteOptions. Returns the last state and whether it is gone already. */
  delete(def: ResourceDef, namespace: string | undefined, name: string, opts: DeleteOptions = {}): { obj: KObject; gone: boolean } {
    const res = storeResource(def);
    const ns = def.namespaced ? namespace ?? '' : '';
    const cur = this.store.get(res, ns, name);
    if (!cur) throw errors.notFound(def, name);
    const obj = this.parse(cur);
    const pre = opts.preconditions;
    if (pre?.uid && pre.uid !== obj.metadata.uid) {
      throw errors.conflict(def, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${obj.metadata.uid}`);
    }
    if (pre?.resourceVersion && pre.resourceVersion !== obj.metadata.resourceVersion) {
      throw errors.conflict(def, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${obj.metadata.resourceVersion}`);
    }
    def.strategy?.checkDelete?.(def, obj);

    const finalizers = [...(obj.metadata.finalizers ?? [])];
    const policy = opts.propagationPolicy ?? (opts.orphanDependents === true ? 'Orphan' : opts.orphanDependents === false ? 'Background' : undefined);
    const want = policy === 'Orphan' ? 'orphan' : policy === 'Foreground' ? 'foregroundDeletion' : undefined;
    if (want && !finalizers.includes(want)) {
      finalizers.push(want);
    }
    if (policy && policy !== 'Orphan') {
      const i = finalizers.indexOf('orphan');
      if (i >= 0 && !(obj.metadata.finalizers ?? []).includes('orphan')) finalizers.splice(i, 1);
    }

    const grace = def.strategy?.gracePeriod?.(obj, opts.gracePeriodSeconds) ?? 0;
    const waitForFinalizers = finalizers.length > 0 || def.strategy?.pendingFinalization?.(obj) === true;
    if (!waitForFinalizers && grace === 0) {
      if (opts.dryRun) return { obj, gone: true };
      const e = this.store.delete(res, ns, name, cur.rv);
      return { obj: this.parse(e), gone: true };
    }
    if (obj.metadata.deletionTimestamp && deepEqual(finalizers, obj.metadata.finalizers ?? [])) {
      // Already being deleted: a shorter grace period may still bring it forward.
      if (!(grace < (obj.metadata.deletionGracePeriodSeconds ?? 0))) return { obj, gone: false };
    }
    const next: KObject = { ...obj, metadata: { ...obj.metadata } };
    if (!next.metadata.deletionTimestamp || grace < (obj.metadata.deletionGracePeriodSeconds ?? Infinity)) {
      next.metadata.deletionTimestamp = new Date(Date.now() + grace * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
      next.metadata.deletionGracePeriodSeconds = grace;
    }
    if (finalizers.length) next.metadata.finalizers = finalizers;
    def.strategy?.beginDelete?.(next);
    if (opts.dryRun) return { obj: next, gone: false };
    delete next.metadata.resourceVersion;
    const e = this.store.update(res, next, cur.rv);
    return { obj: this.parse(e), gone: false };
  }
}
