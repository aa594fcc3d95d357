import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { KObject } from '../../../../src/api/types.js';
import { buildNetpolState, policyId, type NetpolState } from '../../../../src/node/networkpolicy/rules.js';
import { deleteTableScript, fullSyncScript, incrementalSyncScript } from '../../../../src/node/networkpolicy/script.js';
import { namespace, NODE, pod, policy } from './fixtures.js';

const namespaces = [namespace('prod'), namespace('dev', { env: 'dev' })];
const web = (i: number, node = NODE) => pod('prod', `web-${i}`, { app: 'web' }, `10.244.${node === NODE ? 0 : 1}.${10 + i}`, { node, ports: [{ name: 'http', containerPort: 8080 }] });
const client = (i: number) => pod('dev', `client-${i}`, { app: 'client' }, `10.244.1.${100 + i}`, { node: 'n2' });
const allowClients = policy('prod', 'allow', {
  podSelector: { matchLabels: { app: 'web' } },
  ingress: [{ from: [{ namespaceSelector: { matchLabels: { env: 'dev' } }, podSelector: { matchLabels: { app: 'client' } } }], ports: [{ port: 'http' }, { port: 9000, endPort: 9100 }] }],
});
const denyEgress = policy('prod', 'deny-egress', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.96.0.0/12'] } }], ports: [{ port: 53, protocol: 'UDP' }] }] });
const build = (policies: KObject[], pods: KObject[]) => buildNetpolState({ policies, pods, namespaces, nodeName: NODE });

test('the full script declares sets and chains before anything refers to them', () => {
  const s = build([allowClients], [web(1), web(2), client(1)]);
  const lines = fullSyncScript(s).trim().split('\n');
  assert.deepEqual(lines.slice(0, 2), ['add table inet skiff-netpol', 'delete table inet skiff-netpol']);
  const first = (re: RegExp) => lines.findIndex((l) => re.test(l));
  const id = policyId('prod', 'allow');
  assert.ok(first(new RegExp(`^add set inet skiff-netpol ${id}-in0-peers `)) < first(new RegExp(`@${id}-in0-peers`)));
  assert.ok(first(new RegExp(`^add chain inet skiff-netpol ${id}-in$`)) < first(/jump np-/));
  assert.ok(first(/^add chain inet skiff-netpol pods-/) < first(/^add element inet skiff-netpol ingress-pods/));
  assert.ok(lines.includes('add rule inet skiff-netpol forward-ingress ct state established,related accept'));
  assert.ok(lines.includes('add element inet skiff-netpol ingress-pods { 10.244.0.11 : goto ' + s.sets.get('ingress-pods')!.elements.get('10.244.0.11')!.split('goto ')[1] + ', 10.244.0.12 : goto ' + s.sets.get('ingress-pods')!.elements.get('10.244.0.12')!.split('goto ')[1] + ' }'));
  assert.equal(deleteTableScript(), 'add table inet skiff-netpol\ndelete table inet skiff-netpol\n');
});

test("the mesh: captured connections and DNS queries pass the egress check and the ztunnels' traffic the ingress check, as the ztunnel applies both", () => {
  const ztunnel = pod('istio-system', 'ztunnel-abc', { app: 'ztunnel' }, '10.244.1.2', { node: 'n2' });
  const lookalike = pod('default', 'ztunnel', { app: 'ztunnel' }, '10.244.0.3');
  const s = build([allowClients], [web(1), client(1), ztunnel, lookalike]);
  assert.deepEqual([...s.sets.get('mesh-proxies')!.elements.keys()], ['10.244.1.2'], "only istio-system's, on any node");
  const lines = fullSyncScript(s).trim().split('\n');
  const at = (rule: string) => lines.indexOf(`add rule inet skiff-netpol ${rule}`);
  assert.ok(at('forward-egress meta mark & 0x80000 == 0x80000 accept') > 0);
  assert.ok(at('forward-egress meta mark & 0x80000 == 0x80000 accept') < at('forward-egress ip saddr vmap @egress-pods'));
  assert.ok(at('forward-ingress ip saddr @mesh-proxies accept') < at('forward-ingress ip daddr vmap @ingress-pods'));
  assert.ok(at('forward-ingress ip saddr @mesh-proxies accept') > 0);
  assert.equal(build([], [ztunnel]).sets.get('mesh-proxies')!.elements.size, 0, 'nothing to exempt without policies');
});

test('incremental: nothing changed writes nothing; a new replica or peer is a few elements', () => {
  const a = build([allowClients], [web(1), client(1)]);
  assert.equal(incrementalSyncScript(a, build([allowClients], [web(1), client(1)])), '');

  const b = build([allowClients], [web(1), web(2), client(1), client(2)]);
  const script = incrementalSyncScript(a, b).trim().split('\n');
  assert.ok(script.every((l) => l.startsWith('add element ')), script.join('\n'));
  const id = policyId('prod', 'allow');
  assert.ok(script.includes(`add element inet skiff-netpol ${id}-in0-peers { 10.244.1.102 }`), script.join('\n'));
  assert.ok(script.some((l) => l.includes(`${id}-in0-ports { 10.244.0.12 . tcp . 8080 }`)));
  assert.ok(script.some((l) => /ingress-pods \{ 10\.244\.0\.12 : goto pods-/.test(l)));
});

test('incremental: a deleted policy takes its chains and sets with it, in a safe order', () => {
  const a = build([allowClients, denyEgress], [web(1), client(1)]);
  const b = build([denyEgress], [web(1), client(1)]);
  const lines = incrementalSyncScript(a, b).trim().split('\n');
  const id = policyId('prod', 'allow');
  const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
  assert.ok(at(/^delete element inet skiff-netpol ingress-pods \{ 10\.244\.0\.11 \}$/) >= 0, lines.join('\n'));
  assert.ok(at(new RegExp(`^delete chain inet skiff-netpol ${id}-in$`)) > at(new RegExp(`^flush chain inet skiff-netpol ${id}-in$`)));
  assert.ok(at(new RegExp(`^delete set inet skiff-netpol ${id}-in0-peers$`)) > at(new RegExp(`^flush chain inet skiff-netpol ${id}-in$`)));
  assert.ok(at(/^delete chain inet skiff-netpol pods-/) > at(/^delete element inet skiff-netpol ingress-pods/));
  assert.equal(at(/deny-egress|out0/), -1, 'the other policy is left alone');
});

// With root and nft: the scripts really load, and full + incremental ends in the same table as
// a fresh full build. Runs in two scratch namespaces of its own.
const canNft = process.getuid?.() === 0 && spawnSync('nft', ['--version']).status === 0;
const NS = [`skiff.h4nptest${process.pid}.a`, `skiff.h4nptest${process.pid}.b`];
after(() => {
  if (canNft) for (const ns of NS) spawnSync('ip', ['netns', 'delete', ns]);
});

function nft(ns: string, script: string): void {
  const r = spawnSync('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], { input: script, encoding: 'utf8' });
  assert.equal(r.status, 0, `nft in ${ns}: ${r.stderr}\n${script}`);
}
/** The table as nft reads it back, with element order and rule handles normalized. */
function listing(ns: string): unknown {
  const r = spawnSync('ip', ['netns', 'exec', ns, 'nft', '-j', 'list', 'table', 'inet', 'skiff-netpol'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const items = (JSON.parse(r.stdout) as { nftables: Record<string, Record<string, unknown>>[] }).nftables;
  return items
    .filter((i) => !i.metainfo)
    .map((i) => {
      const [kind, body] = Object.entries(i)[0];
      const { handle: _h, ...rest } = body;
      if (Array.isArray(rest.elem)) rest.elem = rest.elem.map((e) => JSON.stringify(e)).sort();
      return JSON.stringify([kind, rest]);
    })
    .sort();
}

test('nft accepts the scripts, and incremental updates end where a full rebuild does', { skip: canNft ? false : 'needs root and nft' }, () => {
  for (const ns of NS) assert.equal(spawnSync('ip', ['netns', 'add', ns]).status, 0);
  const steps: NetpolState[] = [
    build([], []),
    build([allowClients], [web(1), client(1)]),
    build([allowClients, denyEgress], [web(1), web(2), client(1), client(2), client(3)]),
    build([allowClients, denyEgress], [web(2), client(3), web(3, 'n2')]),
    build([denyEgress], [web(2), client(3)]),
    build([], [web(2)]),
  ];
  nft(NS[0], fullSyncScript(steps[0]));
  for (let i = 1; i < steps.length; i++) {
    nft(NS[0], incrementalSyncScript(steps[i - 1], steps[i]));
    nft(NS[1], fullSyncScript(steps[i]));
    assert.deepEqual(listing(NS[0]), listing(NS[1]), `after step ${i}`);
  }
  nft(NS[0], deleteTableScript());
  nft(NS[0], deleteTableScript());
});
