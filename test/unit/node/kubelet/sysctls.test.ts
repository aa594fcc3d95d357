import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dottedSysctl, podSysctls, sysctlAdmission, sysctlPath } from '../../../../src/node/kubelet/sysctls.js';

const withSysctls = (names: string[], extra: Record<string, unknown> = {}) => ({ securityContext: { sysctls: names.map((name) => ({ name, value: '1' })) }, ...extra });

test('names in slash form are read as upstream converts them, and map to /proc/sys paths', () => {
  assert.equal(dottedSysctl('net/ipv4/tcp_syncookies'), 'net.ipv4.tcp_syncookies');
  assert.equal(dottedSysctl('net/ipv4/conf/eth0.100/forwarding'), 'net.ipv4.conf.eth0/100.forwarding');
  assert.equal(sysctlPath('net.ipv4.conf.eth0/100.forwarding'), 'net/ipv4/conf/eth0.100/forwarding');
  assert.equal(sysctlPath('kernel.shm_rmid_forced'), 'kernel/shm_rmid_forced');
  assert.deepEqual(podSysctls({ securityContext: { sysctls: [{ name: 'net.ipv4.ip_local_port_range', value: '1024 2048' }] } }), [['net/ipv4/ip_local_port_range', '1024 2048']]);
});

test('the safe set of kubelet 1.32 is admitted; anything else is SysctlForbidden with the kubelet\'s words', () => {
  assert.equal(sysctlAdmission({}), undefined);
  assert.equal(sysctlAdmission(withSysctls(['kernel.shm_rmid_forced', 'net.ipv4.tcp_keepalive_probes', 'net/ipv4/tcp_rmem'])), undefined);
  assert.deepEqual(sysctlAdmission(withSysctls(['net.ipv4.tcp_syncookies', 'kernel.msgmax'])), {
    reason: 'SysctlForbidden',
    message: 'forbidden sysctl: "kernel.msgmax" not allowlisted',
  });
  assert.deepEqual(sysctlAdmission(withSysctls(['net.core.somaxconn'])), { reason: 'SysctlForbidden', message: 'forbidden sysctl: "net.core.somaxconn" not allowlisted' });
});

test('a safe sysctl of a namespace the pod shares with the host is refused', () => {
  assert.deepEqual(sysctlAdmission(withSysctls(['net.ipv4.ip_local_port_range'], { hostNetwork: true })), {
    reason: 'SysctlForbidden',
    message: 'forbidden sysctl: "net.ipv4.ip_local_port_range" not allowed with host net enabled',
  });
  assert.deepEqual(sysctlAdmission(withSysctls(['kernel.shm_rmid_forced'], { hostIPC: true })), {
    reason: 'SysctlForbidden',
    message: 'forbidden sysctl: "kernel.shm_rmid_forced" not allowed with host ipc enabled',
  });
  assert.equal(sysctlAdmission(withSysctls(['kernel.shm_rmid_forced'], { hostNetwork: true })), undefined);
});
