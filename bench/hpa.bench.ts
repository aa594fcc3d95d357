// How fast the HorizontalPodAutoscaler reacts, against what its algorithm predicts for the same
// settings. Kubernetes' walkthrough on one node: php-apache (200m request), `kubectl autoscale
// --cpu-percent=50 --min=1 --max=10`, a busybox load generator. Measured: from the load's start
// to the first scale-up, and from its end to the return to minReplicas (scale-down
// stabilization window shortened through `behavior`, as users do).
//
// The prediction, from upstream's pipeline: a change in load reaches the HPA once metrics-server
// has two scrapes that see it (up to 2 × the 15 s resolution, since a rate needs the scrape
// before) and the controller's next sync (up to one sync period); scale-down also waits out the
// stabilization window. So: up ≤ 2 × 15 s + sync; down ≤ 2 × 15 s + sync + window. Each is
// printed with its ratio to that bound.
import { startCluster } from '../test/e2e/harness.js';
import { LOAD_GENERATOR, PHP_APACHE } from '../test/e2e/autoscaling/php-apache.js';

const SYNC_S = 15;
const RESOLUTION_S = 15;
const WINDOW_S = 30;



async function main(): Promise<void> {
  const c = await startCluster('benchhpa', { nodes: 1, upArgs: [`--kube-controller-manager-arg=horizontal-pod-autoscaler-sync-period=${SYNC_S}s`] });
  try {
    const replicas = async () => Number(await c.ok(['get', 'deployment', 'php-apache', '-o', 'jsonpath={.spec.replicas}']));
    const until = async (what: string, ok: () => Promise<boolean>, limitMs: number) => {
      const t = Date.now();
      while (!(await ok())) {
        if (Date.now() - t > limitMs) throw new Error(`${what}: not within ${limitMs / 1000} s`);
        await new Promise((r) => setTimeout(r, 250));
      }
    };
    await c.ok(['apply', '-f', '-'], PHP_APACHE);
    await c.ok(['rollout', 'status', 'deployment/php-apache', '--timeout=120s']);
    await c.ok(['autoscale', 'deployment', 'php-apache', '--cpu-percent=50', '--min=1', '--max=10']);
    await c.ok(['patch', 'hpa', 'php-apache', '--type=merge', '-p', JSON.stringify({ spec: { behavior: { scaleDown: { stabilizationWindowSeconds: WINDOW_S } } } })]);
    // Idle and measured before the load starts, so that the measurement starts from a settled HPA.
    await until('an idle measurement', async () => /cpu: \d+%\/50%/.test(await c.ok(['get', 'hpa', 'php-apache', '--no-headers'])), 180_000);

    await c.ok(['apply', '-f', '-'], LOAD_GENERATOR);
    const loadStart = Date.now();
    await until('a scale-up', async () => (await replicas()) > 1, 300_000);
    const upS = (Date.now() - loadStart) / 1000;
    const peak = await replicas();

    await c.ok(['delete', 'pod', 'load-generator', '--wait=true']);
    const loadEnd = Date.now();
    await until('the return to minReplicas', async () => (await replicas()) === 1, 600_000);
    const downS = (Date.now() - loadEnd) / 1000;

    const upBound = 2 * RESOLUTION_S + SYNC_S;
    const downBound = 2 * RESOLUTION_S + SYNC_S + WINDOW_S;
    console.log(`HPA walkthrough, sync period ${SYNC_S} s, metric resolution ${RESOLUTION_S} s, scale-down window ${WINDOW_S} s`);
    console.log(`  load start -> first scale-up (to ${peak})   ${upS.toFixed(1)} s   predicted at most ${upBound} s   ratio ${(upS / upBound).toFixed(2)}`);
    console.log(`  load stop  -> back to minReplicas 1     ${downS.toFixed(1)} s   predicted at most ${downBound} s   ratio ${(downS / downBound).toFixed(2)}`);
  } finally {
    await c.down();
  }
}

await main();
