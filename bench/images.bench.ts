// Real images (issue 15), against references measured in the same run on the same machine:
//   - pull and unpack of one image from a registry on loopback, next to `skopeo copy` of the
//     same image from the same registry into an OCI layout (which does not unpack);
//   - Deployments of 1, 10 and 100 replicas of that image once stored, next to the same
//     Deployments of the built-in busybox image, from creation until every pod is Ready.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster } from '../test/e2e/harness.js';
import { buildAndPush, missingTools, startRegistry } from '../test/e2e/images/registry-fixture.js';
import { pullImage } from '../src/images/registry/pull.js';
import { parseReference } from '../src/images/reference.js';
import { ImageStore } from '../src/images/store/store.js';

const PAYLOAD_MB = 64;

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}

async function main(): Promise<void> {
  const missing = missingTools();
  if (missing) {
    console.log(`images bench skipped: ${missing}`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'skiff-images-bench-'));
  const reg = await startRegistry(join(dir, 'registry'));
  try {
    // Random content: compression cannot shrink it, so both sides move the same bytes.
    await buildAndPush(join(dir, 'img'), { layers: [{ files: { 'www/index.html': 'bench\n' } }, { files: { 'data/payload': randomBytes(PAYLOAD_MB * 2 ** 20) } }], entrypoint: ['/bin/sleep', '100000'] }, reg.host, 'bench/app:1');
    const ref = `${reg.host}/bench/app:1`;

    const ours: number[] = [];
    const skopeo: number[] = [];
    let size = 0;
    for (let i = 0; i < 3; i++) {
      const home = join(dir, `home${i}`);
      let t = performance.now();
      const img = await pullImage({ store: new ImageStore(home), ref: parseReference(ref) });
      ours.push(performance.now() - t);
      size = img.size;
      t = performance.now();
      const r = spawnSync('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${ref}`, `oci:${join(dir, `skopeo${i}`)}:x`]);
      skopeo.push(performance.now() - t);
      if (r.status !== 0) throw new Error(`skopeo copy failed: ${r.stderr}`);
      rmSync(home, { recursive: true, force: true });
    }
    const mb = size / 2 ** 20;
    console.log(`pull+unpack ${mb.toFixed(1)} MiB: skiff ${median(ours).toFixed(0)} ms (${(mb / (median(ours) / 1000)).toFixed(0)} MiB/s), skopeo copy (no unpack) ${median(skopeo).toFixed(0)} ms; ratio ${(median(ours) / median(skopeo)).toFixed(2)}`);

    const c = await startCluster('benchimg', { nodes: 1, upArgs: ['--images', 'auto'] });
    try {
      // Stored once, before the clock runs: the comparison is pod start, not pull.
      await c.ok(['run', 'prepull', `--image=${ref}`]);
      await c.ok(['wait', '--for=condition=Ready', 'pod/prepull', '--timeout=120s']);
      await c.ok(['delete', 'pod', 'prepull', '--wait=false']);
      for (const n of (process.env.BENCH_PODS ?? '1,10,100').split(',').map(Number)) {
        const times: Record<string, number> = {};
        for (const [kind, image] of [['stored', ref], ['builtin', 'busybox:1.36']] as const) {
          const name = `${kind}-${n}`;
          const t = performance.now();
          // The built-in image with pull policy Never: no registry off this machine is asked.
          const policy = kind === 'builtin' ? 'Never' : 'IfNotPresent';
          await c.ok(['apply', '-f', '-'], JSON.stringify({
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            metadata: { name },
            spec: {
              replicas: n,
              selector: { matchLabels: { app: name } },
              template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image, imagePullPolicy: policy, command: ['/bin/sleep', '100000'] }] } },
            },
          }));
          await c.ok(['rollout', 'status', `deployment/${name}`, '--timeout=300s']);
          times[kind] = performance.now() - t;
          await c.ok(['delete', 'deployment', name, '--wait=true']);
          await c.kubectl(['wait', '--for=delete', 'pod', '-l', `app=${name}`, '--timeout=120s']);
        }
        console.log(`${n} pods Ready: stored image ${times.stored.toFixed(0)} ms, built-in busybox ${times.builtin.toFixed(0)} ms; ratio ${(times.stored / times.builtin).toFixed(2)}`);
      }
    } finally {
      await c.down();
    }
  } finally {
    await reg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
