import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { startCluster, waitFor, type Cluster } from '../harness.js';

// Containment as issue 11 tries it: pods of the catalog images on a 2-node cluster see their
// image and volumes only (no cluster state, no host file, no host process, no host loopback),
// run with Docker's default capabilities and the RuntimeDefault seccomp filter, honour
// securityContext, and get the explicit doors to the host (hostPath of every type,
// hostNetwork, hostPID, privileged) when they ask for them.

let c: Cluster;
let controlPlanePid = 0;
let hostService: Server;
let hostPort = 0;
/** Host paths the hostPath pod mounts; made and removed by this file. */
let hostDir = '';

const DOCKER_DEFAULT_CAPS = '00000000a80425fb';

before(async () => {
  c = await startCluster('contain', { nodes: 2 });
  controlPlanePid = Number(readFileSync(join(c.env.SKIFF_HOME!, 'clusters', c.name, 'control-plane.pid'), 'utf8'));
  // A service the host binds to its loopback: no pod may reach it.
  hostService = createServer((s) => s.end('host-only\n'));
  await new Promise<void>((resolve) => hostService.listen(0, '127.0.0.1', resolve));
  hostPort = (hostService.address() as { port: number }).port;
  hostDir = join(c.dir, 'hostpath');
  mkdirSync(join(hostDir, 'dir'), { recursive: true });
  writeFileSync(join(hostDir, 'file'), 'from the host\n');
});

after(async () => {
  hostService?.close();
  await c?.down();
});

async function pod(name: string, image: string, spec: Record<string, unknown> = {}, container: Record<string, unknown> = {}): Promise<void> {
  const manifest = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { terminationGracePeriodSeconds: 0, ...spec, containers: [{ name: 'c', image, command: ['sleep', '3600'], ...container }] },
  };
  await c.ok(['apply', '-f', '-'], JSON.stringify(manifest));
}

async function ready(...names: string[]): Promise<void> {
  await c.ok(['wait', '--for=condition=Ready', ...names.map((n) => `pod/${n}`), '--timeout=90s']);
}

/** `kubectl exec` of a shell line; code and combined output. */
async function sh(name: string, line: string): Promise<{ code: number; out: string }> {
  const r = await c.kubectl(['exec', name, '--', 'sh', '-c', line]);
  return { code: r.code, out: r.stdout + r.stderr };
}

const IMAGES: Record<string, string> = {
  busybox: 'busybox',
  agnhost: 'registry.k8s.io/e2e-test-images/agnhost:2.39',
  nginx: 'nginx:1.27',
  curl: 'curlimages/curl',
};

test('pods of the catalog images see their image, not the host: no state, no /etc/shadow, no host process', async () => {
  for (const [name, image] of Object.entries(IMAGES)) await pod(name, image);
  await ready(...Object.keys(IMAGES));
  const stateDir = join(c.env.SKIFF_HOME!, 'clusters');
  for (const name of Object.keys(IMAGES)) {
    for (const path of [stateDir, '/var/lib/skiff', '/etc/shadow', join(c.env.SKIFF_HOME!, 'clusters', c.name, 'admin.token')]) {
      const r = await sh(name, `cat ${path} 2>&1 || ls ${path} 2>&1; exit 0`);
      assert.match(r.out, /No such file or directory|can't open/, `${name} reads ${path}: ${r.out}`);
    }
    const kill = await sh(name, `kill -0 ${controlPlanePid}`);
    assert.notEqual(kill.code, 0, `${name} can signal the control plane`);
    const nsenter = await sh(name, `nsenter -t 1 -m -- true`);
    assert.notEqual(nsenter.code, 0, `${name}: nsenter -t 1 -m works`);
    // Its own PID namespace: PID 1 is the container's command.
    const pid1 = await sh(name, 'cat /proc/1/cmdline | tr "\\0" " "');
    assert.match(pid1.out, /^sleep 3600 ?$/, `${name}: ${pid1.out}`);
    // Docker's default set bounds every container; a root image's process has it in effect, a
    // non-root one's (curl_user) none, as under containerd.
    const status = await sh(name, 'cat /proc/self/status');
    assert.match(status.out, new RegExp(`^CapBnd:\\s+${DOCKER_DEFAULT_CAPS}$`, 'm'), `${name} capabilities`);
    assert.match(status.out, new RegExp(`^CapEff:\\s+${name === 'curl' ? '0{16}' : DOCKER_DEFAULT_CAPS}$`, 'm'), `${name} capabilities`);
    assert.match(status.out, /^Seccomp:\s+2$/m, `${name} seccomp`);
    // The host's loopback is not the pod's.
    const loop = await sh(name, `nc -w 2 127.0.0.1 ${hostPort} </dev/null 2>&1; echo rc=$?`);
    assert.doesNotMatch(loop.out, /host-only/, `${name} reached a host loopback service`);
  }
  // The shell execs ps: the pod's command and ps are all there is.
  const ps = await sh('busybox', 'ps -o pid,comm');
  assert.deepEqual(ps.out.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/)[1]).sort(), ['ps', 'sleep']);
});

test('securityContext: runAsUser 1000, drop ALL and a read-only root', async () => {
  await pod('restricted', 'busybox', {}, {
    securityContext: { runAsUser: 1000, runAsGroup: 3000, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true },
  });
  await ready('restricted');
  const r = await sh('restricted', 'id; grep -E "^(CapEff|NoNewPrivs)" /proc/self/status; touch /x 2>&1; touch /tmp/y 2>&1; exit 0');
  assert.match(r.out, /^uid=1000 gid=3000/m);
  assert.match(r.out, /^CapEff:\s+0000000000000000$/m);
  assert.match(r.out, /^NoNewPrivs:\s+1$/m);
  assert.match(r.out, /touch: \/x: Read-only file system/);
  assert.match(r.out, /touch: \/tmp\/y: Read-only file system/);
});

test('runAsNonRoot on an image that runs as root fails with the kubelet\'s message', async () => {
  await pod('nonroot', 'busybox', { securityContext: { runAsNonRoot: true } });
  let waiting: { reason?: string; message?: string } = {};
  await waitFor('CreateContainerConfigError', async () => {
    const p = JSON.parse(await c.ok(['get', 'pod', 'nonroot', '-o', 'json']));
    waiting = p.status?.containerStatuses?.[0]?.state?.waiting ?? {};
    return waiting.reason === 'CreateContainerConfigError';
  });
  const uid = JSON.parse(await c.ok(['get', 'pod', 'nonroot', '-o', 'json'])).metadata.uid;
  assert.equal(waiting.message, `container has runAsNonRoot and image will run as root (pod: "nonroot_default(${uid})", container: c)`);
  // An image whose user is numeric and not root starts.
  await pod('nonroot-ok', 'hashicorp/http-echo', { securityContext: { runAsNonRoot: true } }, { command: undefined, args: ['-listen=:5678', '-text=ok'] });
  await ready('nonroot-ok');
});

test('hostPath of every type, hostNetwork and privileged work when asked for', async () => {
  const sock = join(hostDir, 'sock');
  const unix = createServer((s) => s.end());
  await new Promise<void>((resolve) => unix.listen(sock, resolve));
  try {
    const volumes = [
      { name: 'dir', hostPath: { path: join(hostDir, 'dir'), type: 'Directory' } },
      { name: 'made', hostPath: { path: join(hostDir, 'made'), type: 'DirectoryOrCreate' } },
      { name: 'file', hostPath: { path: join(hostDir, 'file'), type: 'File' } },
      { name: 'newfile', hostPath: { path: join(hostDir, 'newfile'), type: 'FileOrCreate' } },
      { name: 'sock', hostPath: { path: sock, type: 'Socket' } },
      { name: 'null', hostPath: { path: '/dev/null', type: 'CharDevice' } },
      { name: 'any', hostPath: { path: join(hostDir, 'any') } },
    ];
    const mounts = volumes.map((v) => ({ name: v.name, mountPath: `/mnt/${v.name}` }));
    await pod('hostpath', 'busybox', { volumes }, { volumeMounts: mounts });
    await ready('hostpath');
    const r = await sh('hostpath', 'cat /mnt/file; echo in > /mnt/dir/written; ls -d /mnt/made /mnt/any; test -S /mnt/sock && echo socket; test -c /mnt/null && echo chardev; echo x > /mnt/newfile');
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /from the host/);
    assert.match(r.out, /socket\nchardev/);
    assert.equal(readFileSync(join(hostDir, 'dir', 'written'), 'utf8'), 'in\n');
    assert.ok(statSync(join(hostDir, 'made')).isDirectory());
    assert.equal(readFileSync(join(hostDir, 'newfile'), 'utf8'), 'x\n');
    // A type that does not match fails the mount with upstream's words.
    await pod('hostpath-bad', 'busybox', { volumes: [{ name: 'h', hostPath: { path: join(hostDir, 'file'), type: 'Directory' } }] }, { volumeMounts: [{ name: 'h', mountPath: '/h' }] });
    await waitFor('FailedMount', async () => (await c.ok(['get', 'events', '--field-selector', 'involvedObject.name=hostpath-bad'])).includes(`hostPath type check failed: ${join(hostDir, 'file')} is not a directory`));
  } finally {
    unix.close();
  }

  await pod('hostnet', 'busybox', { hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' });
  await ready('hostnet');
  const p = JSON.parse(await c.ok(['get', 'pod', 'hostnet', '-o', 'json']));
  assert.equal(p.status.podIP, p.status.hostIP);
  assert.equal((await sh('hostnet', 'hostname')).out.trim(), p.spec.nodeName);
  assert.match((await sh('hostnet', 'cat /etc/resolv.conf')).out, /nameserver 10\.96\.0\.10/);

  await pod('priv', 'busybox', {}, { securityContext: { privileged: true } });
  await ready('priv');
  const priv = await sh('priv', 'grep -E "^(CapEff|Seccomp):" /proc/self/status; mkdir -p /tmp/m && mount -t tmpfs t /tmp/m && echo mounted');
  assert.match(priv.out, /^Seccomp:\s+0$/m);
  assert.doesNotMatch(priv.out, new RegExp(`CapEff:\\s+${DOCKER_DEFAULT_CAPS}`));
  assert.match(priv.out, /mounted/);
  // Still its own root: privileged opens devices and capabilities, not the host's files.
  assert.match((await sh('priv', 'cat /etc/shadow 2>&1; exit 0')).out, /No such file or directory|can't open/);

  // hostPID: the host's processes, the control plane among them.
  await pod('hostpid', 'busybox', { hostPID: true });
  await ready('hostpid');
  assert.match((await sh('hostpid', `test -d /proc/${controlPlanePid} && echo seen`)).out, /seen/);
});

test('sysctls: safe ones are set in the pod\'s namespaces, others make the kubelet reject the pod', async () => {
  await pod('sysctl-ok', 'busybox', {
    securityContext: { sysctls: [{ name: 'net.ipv4.tcp_keepalive_time', value: '45' }, { name: 'kernel.shm_rmid_forced', value: '1' }, { name: 'net.ipv4.ip_local_port_range', value: '20000 30000' }] },
  });
  await ready('sysctl-ok');
  const r = await sh('sysctl-ok', 'cat /proc/sys/net/ipv4/tcp_keepalive_time /proc/sys/kernel/shm_rmid_forced /proc/sys/net/ipv4/ip_local_port_range');
  assert.deepEqual(r.out.trim().split('\n').map((l) => l.replace(/\s+/g, ' ')), ['45', '1', '20000 30000']);
  // Only the pod's namespaces changed: the host keeps its own values.
  assert.notEqual(readFileSync('/proc/sys/net/ipv4/tcp_keepalive_time', 'utf8').trim(), '45');

  await pod('sysctl-unsafe', 'busybox', { securityContext: { sysctls: [{ name: 'kernel.msgmax', value: '65536' }] } });
  let status: { phase?: string; reason?: string; message?: string } = {};
  await waitFor('pod rejected', async () => {
    status = JSON.parse(await c.ok(['get', 'pod', 'sysctl-unsafe', '-o', 'json'])).status ?? {};
    return status.phase === 'Failed';
  });
  assert.equal(status.reason, 'SysctlForbidden');
  assert.equal(status.message, 'Pod was rejected: forbidden sysctl: "kernel.msgmax" not allowlisted');
  assert.match(await c.ok(['get', 'pod', 'sysctl-unsafe']), /^sysctl-unsafe\s+0\/1\s+SysctlForbidden\s+0\s+/m);
  const events = await c.ok(['get', 'events', '--field-selector', 'involvedObject.name=sysctl-unsafe', '-o', 'custom-columns=TYPE:.type,REASON:.reason,MESSAGE:.message', '--no-headers']);
  assert.match(events, /^Warning\s+SysctlForbidden\s+forbidden sysctl: "kernel.msgmax" not allowlisted$/m);
  await c.ok(['delete', 'pod', 'sysctl-unsafe', '--wait=true', '--timeout=60s']);
});
