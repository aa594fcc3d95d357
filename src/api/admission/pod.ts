import { randomInt } from 'node:crypto';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { IProjectedVolumeSource } from 'kubernetes-models/v1/ProjectedVolumeSource';
import type { IServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { KObject, ObjectOf } from '../types.js';
import { AdmissionForbidden, type AdmissionContext } from './context.js';

/** Admission runs before validation: a required field (containers) may still be missing. */
type PodSpec = Partial<IPodSpec>;
type ServiceAccount = ObjectOf<IServiceAccount>;

/** Seconds a pod stays bound to a not-ready or unreachable node (kube-apiserver's default). */
export const DEFAULT_TOLERATION_SECONDS = 300;

const TAINTS = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'];

/** The ServiceAccount plugin's names (plugin/pkg/admission/serviceaccount/admission.go). */
export const DEFAULT_SERVICE_ACCOUNT_NAME = 'default';
export const SERVICE_ACCOUNT_VOLUME_NAME = 'kube-api-access';
export const DEFAULT_API_TOKEN_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';
/** names.SimpleNameGenerator's alphabet (no vowels, no look-alikes). */
const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

/** The projected volume the plugin mounts (TokenVolumeSource): token, cluster CA and namespace. */
export function tokenVolumeSource(): IProjectedVolumeSource {
  return {
    // Set explicitly, as upstream does (kubernetes#104464): admission runs after defaulting.
    defaultMode: 420,
    sources: [
      { serviceAccountToken: { expirationSeconds: 60 * 60 + 7, path: 'token' } },
      { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
    ],
  };
}

/** Pod's preference wins, then the account's; mount by default. */
function shouldAutomount(sa: ServiceAccount | undefined, spec: PodSpec): boolean {
  if (typeof spec.automountServiceAccountToken === 'boolean') return spec.automountServiceAccountToken;
  if (typeof sa?.automountServiceAccountToken === 'boolean') return sa.automountServiceAccountToken;
  return true;
}

/** mountServiceAccountToken: the volume once, a read-only mount in every (init) container without one there. */
function mountServiceAccountToken(spec: PodSpec, generateName: (prefix: string) => string): void {
  const existing = (spec.volumes ?? []).find((v) => v.name.startsWith(`${SERVICE_ACCOUNT_VOLUME_NAME}-`));
  const volumeName = existing?.name ?? generateName(`${SERVICE_ACCOUNT_VOLUME_NAME}-`);
  let needsVolume = false;
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    // An existing mount at the path keeps the token from being mounted there.
    if ((c.volumeMounts ?? []).some((m) => m.mountPath === DEFAULT_API_TOKEN_MOUNT_PATH)) continue;
    (c.volumeMounts ??= []).push({ name: volumeName, readOnly: true, mountPath: DEFAULT_API_TOKEN_MOUNT_PATH });
    needsVolume = true;
  }
  if (!existing && needsVolume) (spec.volumes ??= []).push({ name: volumeName, projected: tokenVolumeSource() });
}

function simpleName(prefix: string): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += NAME_CHARS[randomInt(NAME_CHARS.length)];
  return prefix + suffix;
}

/**
 * The ServiceAccount admission plugin on create: `default` when the pod names no account, the
 * account must exist, the API token volume unless automounting is off (pod first, then account),
 * and the account's image pull secrets when the pod has none. Mirror pods are left alone.
 * Without a context (unit tests of the rest of the chain) the account is not looked up.
 */
export function admitServiceAccount(pod: KObject, ctx?: AdmissionContext, generateName: (prefix: string) => string = simpleName): void {
  const spec = (pod.spec ??= {}) as PodSpec;
  if (pod.metadata.annotations?.[MIRROR_POD_ANNOTATION] !== undefined) return;
  if (!spec.serviceAccountName) spec.serviceAccountName = spec.serviceAccount || DEFAULT_SERVICE_ACCOUNT_NAME;
  spec.serviceAccount = spec.serviceAccountName;
  const ns = pod.metadata.namespace ?? 'default';
  // Stored ServiceAccounts were type-checked when written.
  const sa = ctx?.get?.('core/serviceaccounts', ns, spec.serviceAccountName) as ServiceAccount | undefined;
  // Upstream waits up to about a second for `default`, which the ServiceAccount controller makes
  // with the namespace; admission here does not wait, so a missing `default` is let through and
  // the kubelet retries its token until the account is there.
  if (ctx?.get && !sa && spec.serviceAccountName !== DEFAULT_SERVICE_ACCOUNT_NAME) {
    throw new AdmissionForbidden(`error looking up service account ${ns}/${spec.serviceAccountName}: serviceaccount "${spec.serviceAccountName}" not found`);
  }
  if (shouldAutomount(sa, spec)) mountServiceAccountToken(spec, generateName);
  const pullSecrets = sa?.imagePullSecrets ?? [];
  if (!spec.imagePullSecrets?.length && pullSecrets.length) spec.imagePullSecrets = pullSecrets.map((s) => ({ name: s.name }));
}

/**
 * What the default admission chain does to a new pod upstream: the ServiceAccount plugin (above),
 * DefaultTolerationSeconds adds the two NoExecute tolerations the node lifecycle controller
 * honours, and Priority sets priority 0 with the default preemption policy.
 */
export function admitPod(pod: KObject, ctx?: AdmissionContext): void {
  admitServiceAccount(pod, ctx);
  const spec = pod.spec as PodSpec;
  const tolerations = (spec.tolerations ??= []);
  for (const key of TAINTS) {
    const covered = tolerations.some((t) => {
      // The schema's enum has no "", which means "all effects" in a stored toleration.
      const effect: string | undefined = t.effect;
      return (effect === undefined || effect === '' || effect === 'NoExecute') && (t.key === key || ((t.key === undefined || t.key === '') && t.operator === 'Exists'));
    });
    if (!covered) tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: DEFAULT_TOLERATION_SECONDS });
  }
  if (spec.priority === undefined && !spec.priorityClassName) spec.priority = 0;
  spec.preemptionPolicy ??= 'PreemptLowerPriority';
}
