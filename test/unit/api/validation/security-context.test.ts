import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../../../src/api/types.js';
import { defaulters } from '../../../../src/api/defaults/index.js';
import { formatFieldError } from '../../../../src/api/validation/field.js';
import { validators } from '../../../../src/api/validation/index.js';
import { kindKey } from '../../../../src/api/kinds.js';

/** Defaults then validates a pod, as the apiserver does on create. */
function check(spec: Record<string, unknown>, container: Record<string, unknown> = {}): string[] {
  const pod: KObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'busybox', ...container }], ...spec } };
  const key = kindKey('', 'Pod');
  defaulters[key]?.(pod);
  return validators[key](pod).map(formatFieldError);
}

const SC_VALUE =
  'core.SecurityContext{Capabilities:(*core.Capabilities)(nil), Privileged:(*bool)(...), SELinuxOptions:(*core.SELinuxOptions)(nil), ' +
  'WindowsOptions:(*core.WindowsSecurityContextOptions)(nil), RunAsUser:(*int64)(nil), RunAsGroup:(*int64)(nil), RunAsNonRoot:(*bool)(nil), ' +
  'ReadOnlyRootFilesystem:(*bool)(nil), AllowPrivilegeEscalation:(*bool)(...), ProcMount:(*core.ProcMountType)(nil), ' +
  'SeccompProfile:(*core.SeccompProfile)(nil), AppArmorProfile:(*core.AppArmorProfile)(nil)}';

test('container securityContext: privilege escalation, ids, procMount, seccomp', () => {
  assert.deepEqual(check({}, { securityContext: { runAsUser: 1000, runAsGroup: 0, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } } }), []);
  assert.deepEqual(check({}, { securityContext: { allowPrivilegeEscalation: false, privileged: true } }), [
    `spec.containers[0].securityContext: Invalid value: ${SC_VALUE}: cannot set \`allowPrivilegeEscalation\` to false and \`privileged\` to true`,
  ]);
  const capErr = check({}, { securityContext: { allowPrivilegeEscalation: false, capabilities: { add: ['CAP_SYS_ADMIN'] } } });
  assert.equal(capErr.length, 1);
  assert.match(capErr[0], /^spec\.containers\[0\]\.securityContext: Invalid value: core\.SecurityContext\{Capabilities:\(\*core\.Capabilities\)\(\.\.\.\), .*: cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN$/);
  // SYS_ADMIN without the prefix is what users write, and upstream does not catch it.
  assert.deepEqual(check({}, { securityContext: { allowPrivilegeEscalation: false, capabilities: { add: ['SYS_ADMIN'] } } }), []);
  assert.deepEqual(check({}, { securityContext: { runAsUser: -1, runAsGroup: 2147483648 } }), [
    'spec.containers[0].securityContext.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive',
    'spec.containers[0].securityContext.runAsGroup: Invalid value: 2147483648: must be between 0 and 2147483647, inclusive',
  ]);
  assert.deepEqual(check({}, { securityContext: { procMount: 'Weird' } }), [
    'spec.containers[0].securityContext.procMount: Unsupported value: "Weird": supported values: "Default", "Unmasked"',
  ]);
  assert.deepEqual(check({}, { securityContext: { procMount: 'Unmasked' } }), [
    'spec.containers[0].securityContext.procMount: Invalid value: "Unmasked": `hostUsers` must be false to use `Unmasked`',
  ]);
  assert.deepEqual(check({ hostUsers: false }, { securityContext: { procMount: 'Unmasked' } }), []);
  assert.deepEqual(check({}, { securityContext: { seccompProfile: {} } }), [
    'spec.containers[0].securityContext.seccompProfile.type: Required value: type is required when seccompProfile is set',
  ]);
  assert.deepEqual(check({}, { securityContext: { seccompProfile: { type: 'Strict' } } }), [
    'spec.containers[0].securityContext.seccompProfile.type: Unsupported value: "Strict": supported values: "Localhost", "RuntimeDefault", "Unconfined"',
  ]);
  assert.deepEqual(check({}, { securityContext: { seccompProfile: { type: 'Localhost' } } }), [
    'spec.containers[0].securityContext.seccompProfile.localhostProfile: Required value: must be set when seccomp type is Localhost',
  ]);
  assert.deepEqual(check({}, { securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: '/etc/../x.json' } } }), [
    'spec.containers[0].securityContext.seccompProfile.localhostProfile: Invalid value: "/etc/../x.json": must be a relative path',
    'spec.containers[0].securityContext.seccompProfile.localhostProfile: Invalid value: "/etc/../x.json": must not contain \'..\'',
  ]);
  assert.deepEqual(check({}, { securityContext: { seccompProfile: { type: 'RuntimeDefault', localhostProfile: 'x.json' } } }), [
    'spec.containers[0].securityContext.seccompProfile.localhostProfile: Invalid value: core.SeccompProfile{Type:"RuntimeDefault", LocalhostProfile:(*string)(...)}: can only be set when seccomp type is Localhost',
  ]);
});

test('pod securityContext: ids, groups, policies, shareProcessNamespace, sysctls, hostNetwork ports', () => {
  assert.deepEqual(check({ securityContext: { runAsUser: 1000, fsGroup: 2000, supplementalGroups: [1, 2], fsGroupChangePolicy: 'OnRootMismatch', supplementalGroupsPolicy: 'Strict' } }), []);
  assert.deepEqual(check({ securityContext: { fsGroup: -5, runAsUser: 2147483648, supplementalGroups: [1, -1] } }), [
    'spec.securityContext.fsGroup: Invalid value: -5: must be between 0 and 2147483647, inclusive',
    'spec.securityContext.runAsUser: Invalid value: 2147483648: must be between 0 and 2147483647, inclusive',
    'spec.securityContext.supplementalGroups[1]: Invalid value: -1: must be between 0 and 2147483647, inclusive',
  ]);
  assert.deepEqual(check({ securityContext: { fsGroupChangePolicy: 'Never', supplementalGroupsPolicy: 'Loose' } }), [
    'spec.securityContext.fsGroupChangePolicy: Unsupported value: "Never": supported values: "Always", "OnRootMismatch"',
    'spec.securityContext.supplementalGroupsPolicy: Unsupported value: "Loose": supported values: "Merge", "Strict"',
  ]);
  assert.deepEqual(check({ hostPID: true, shareProcessNamespace: true }), [
    'spec.securityContext.shareProcessNamespace: Invalid value: true: ShareProcessNamespace and HostPID cannot both be enabled',
  ]);
  assert.deepEqual(check({ securityContext: { seccompProfile: { type: 'Localhost' } } }), [
    'spec.securityContext.seccompProfile.localhostProfile: Required value: must be set when seccomp type is Localhost',
  ]);
  assert.deepEqual(check({ hostNetwork: true, securityContext: { sysctls: [{ name: 'net.core.somaxconn', value: '1' }, { name: 'Bad_Name', value: '1' }, { name: 'kernel.shm_rmid_forced', value: '1' }, { name: 'kernel.shm_rmid_forced', value: '1' }] } }), [
    "spec.securityContext.sysctls[0].name: Invalid value: \"net.core.somaxconn\": may not be specified when 'hostNetwork' is true",
    'spec.securityContext.sysctls[1].name: Invalid value: "Bad_Name": must have at most 253 characters and match regex ^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$',
    'spec.securityContext.sysctls[3].name: Duplicate value: "kernel.shm_rmid_forced"',
  ]);
  // hostNetwork defaults hostPort to containerPort; a different one is refused.
  assert.deepEqual(check({ hostNetwork: true }, { ports: [{ containerPort: 80 }] }), []);
  assert.deepEqual(check({ hostNetwork: true }, { ports: [{ containerPort: 80, hostPort: 8080 }] }), [
    'spec.containers[0].ports[0].hostPort: Invalid value: 8080: must match `containerPort` when `hostNetwork` is true',
  ]);
});

test('hostPath volumes: path required, no backsteps, type enum', () => {
  const vol = (hostPath: Record<string, unknown>) => ({ volumes: [{ name: 'h', hostPath }] });
  for (const type of ['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice']) assert.deepEqual(check(vol({ path: '/data', type })), []);
  assert.deepEqual(check(vol({ path: '/data' })), []);
  assert.deepEqual(check(vol({ path: '' })), ['spec.volumes[0].hostPath.path: Required value']);
  assert.deepEqual(check(vol({ path: '/a/../b', type: 'Dir' })), [
    'spec.volumes[0].hostPath.path: Invalid value: "/a/../b": must not contain \'..\'',
    'spec.volumes[0].hostPath.type: Unsupported value: "Dir": supported values: "", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket"',
  ]);
});
