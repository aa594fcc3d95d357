import type { KObject } from '../types.js';
import { defaultPullPolicy } from './image.js';
import { each, ensureObject, isObject, setDefault, type JsonObject } from './util.js';

// Pod defaults as SetDefaults_Pod, SetDefaults_PodSpec, SetDefaults_Container and the
// generated per-field defaulters of core/v1. Fields Go always serialises (a container's
// `resources`, a template's `creationTimestamp`) are filled too, so a template read back from
// the API and sent again (as `kubectl rollout undo` does) defaults to the same JSON.

export function defaultPod(pod: KObject): void {
  const spec = ensureObject(pod, 'spec');
  defaultPodSpec(spec);
  setDefault(spec, 'enableServiceLinks', true);
  for (const list of ['initContainers', 'containers']) {
    each(spec[list], (c) => {
      // Requests default to limits for a pod (not for templates).
      const res = c.resources;
      if (isObject(res) && isObject(res.limits)) {
        const req = ensureObject(res, 'requests');
        for (const [k, v] of Object.entries(res.limits)) if (!(k in req)) req[k] = v;
      }
      if (spec.hostNetwork === true) each(c.ports, (p) => setDefault(p, 'hostPort', p.containerPort));
    });
  }
}

/** A PodTemplateSpec inside a workload. */
export function defaultPodTemplate(tpl: unknown): void {
  if (!isObject(tpl)) return;
  const meta = ensureObject(tpl, 'metadata');
  if (!('creationTimestamp' in meta)) meta.creationTimestamp = null;
  defaultPodSpec(ensureObject(tpl, 'spec'));
}

export function defaultPodSpec(spec: JsonObject): void {
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'restartPolicy', 'Always');
  if (!isObject(spec.securityContext)) spec.securityContext = {};
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'schedulerName', 'default-scheduler');
  // serviceAccount is the deprecated alias the v1 conversion keeps equal to serviceAccountName.
  if (spec.serviceAccountName) spec.serviceAccount = spec.serviceAccountName;
  else if (spec.serviceAccount) spec.serviceAccountName = spec.serviceAccount;
  each(spec.volumes, defaultVolume);
  each(spec.initContainers, defaultContainer);
  each(spec.containers, defaultContainer);
  each(spec.ephemeralContainers, defaultContainer);
}

const VOLUME_SOURCES = [
  'hostPath', 'emptyDir', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'secret', 'nfs', 'iscsi', 'glusterfs',
  'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'downwardAPI', 'fc', 'azureFile', 'configMap',
  'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'projected', 'portworxVolume', 'scaleIO', 'storageos',
  'csi', 'ephemeral', 'image',
];

function defaultVolume(v: JsonObject): void {
  if (!VOLUME_SOURCES.some((s) => isObject(v[s]))) v.emptyDir = {};
  for (const s of ['secret', 'configMap', 'downwardAPI', 'projected']) if (isObject(v[s])) setDefault(v[s], 'defaultMode', 420);
  if (isObject(v.hostPath)) setDefault(v.hostPath, 'type', '');
  if (isObject(v.downwardAPI)) each(v.downwardAPI.items, (i) => isObject(i.fieldRef) && setDefault(i.fieldRef, 'apiVersion', 'v1'));
  if (isObject(v.projected)) {
    each(v.projected.sources, (src) => {
      if (isObject(src.downwardAPI)) each(src.downwardAPI.items, (i) => isObject(i.fieldRef) && setDefault(i.fieldRef, 'apiVersion', 'v1'));
      if (isObject(src.serviceAccountToken)) setDefault(src.serviceAccountToken, 'expirationSeconds', 3600);
    });
  }
  if (isObject(v.iscsi)) setDefault(v.iscsi, 'iscsiInterface', 'default');
}

export function defaultContainer(c: JsonObject): void {
  if (typeof c.image === 'string') setDefault(c, 'imagePullPolicy', defaultPullPolicy(c.image));
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  if (!isObject(c.resources)) c.resources = {};
  each(c.ports, (p) => setDefault(p, 'protocol', 'TCP'));
  each(c.env, (e) => {
    const from = e.valueFrom;
    if (isObject(from) && isObject(from.fieldRef)) setDefault(from.fieldRef, 'apiVersion', 'v1');
  });
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) if (isObject(c[probe])) defaultProbe(c[probe]);
  if (isObject(c.lifecycle)) for (const h of ['postStart', 'preStop']) if (isObject(c.lifecycle[h])) defaultHandler(c.lifecycle[h]);
}

function defaultProbe(p: JsonObject): void {
  for (const [k, v] of [['timeoutSeconds', 1], ['periodSeconds', 10], ['successThreshold', 1], ['failureThreshold', 3]] as const) {
    if (!p[k]) p[k] = v;
  }
  defaultHandler(p);
}

function defaultHandler(h: JsonObject): void {
  if (isObject(h.httpGet)) {
    setDefault(h.httpGet, 'path', '/');
    setDefault(h.httpGet, 'scheme', 'HTTP');
  }
}
