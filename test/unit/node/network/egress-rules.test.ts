import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chooseEgressLink,
  deleteTableScript,
  egressDestinations,
  egressLinkOf,
  fabricEgressScript,
  forwardingAfterRemoval,
  forwardingComment,
  forwardingToRecord,
  HOST_EGRESS_TABLE_RE,
  hostEgressScript,
  hostEgressTable,
  hostEgressVethAlias,
  hostEgressVethName,
  nodeEgressScript,
  parseEgress,
  recordedForwarding,
} from '../../../../src/node/network/egress-rules.js';
import { fabricVethName } from '../../../../src/node/network/names.js';

test('all and none are policies of their own', () => {
  assert.deepEqual(parseEgress('all'), { mode: 'all' });
  assert.deepEqual(parseEgress('none'), { mode: 'none' });
  assert.deepEqual(egressDestinations({ mode: 'all' }), ['default']);
  assert.deepEqual(egressDestinations({ mode: 'none' }), []);
});

test('CIDRs are normalised: bare addresses are /32, host bits cleared, nested and repeated ones dropped, sorted', () => {
  const p = parseEgress('198.51.100.7/24,192.0.2.7,10.0.0.0/8,10.1.0.0/16,192.0.2.7/32');
  assert.deepEqual(p, { mode: 'cidrs', cidrs: ['10.0.0.0/8', '192.0.2.7/32', '198.51.100.0/24'] });
  assert.deepEqual(egressDestinations(p), ['10.0.0.0/8', '192.0.2.7/32', '198.51.100.0/24']);
  // A range around the cluster's own is fine: the cluster's more specific routes win.
  assert.deepEqual(parseEgress('0.0.0.0/0'), { mode: 'cidrs', cidrs: ['0.0.0.0/0'] });
});

test('malformed CIDRs and CIDRs inside the cluster ranges are refused with the reason', () => {
  assert.throws(() => parseEgress('10.0.0.0/33'), /invalid egress "10.0.0.0\/33": "10.0.0.0\/33" is not an IPv4 address or CIDR/);
  assert.throws(() => parseEgress('1.2.3.256'), /is not an IPv4 address or CIDR/);
  assert.throws(() => parseEgress('1.2.3.4,'), /"" is not an IPv4 address/);
  assert.throws(() => parseEgress('some'), /is not an IPv4 address/);
  assert.throws(() => parseEgress('10.244.3.0/24'), /10\.244\.3\.0\/24 lies inside the cluster's own range 10\.244\.0\.0\/16/);
  assert.throws(() => parseEgress('172.18.0.9'), /172\.18\.0\.9\/32 lies inside the cluster's own range 172\.18\.0\.0\/16/);
  assert.throws(() => parseEgress('10.100.0.0/16'), /inside the cluster's own range 10\.96\.0\.0\/12/);
});

test('the egress link is a /30 in 100.64.0.0/10, the same for the same cluster, and avoids what the host uses', () => {
  const a = chooseEgressLink('dev', []);
  assert.match(a.cidr, /^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\.\d+\.\d+\/30$/);
  assert.deepEqual(chooseEgressLink('dev', ['default', '192.0.2.0/24', '127.0.0.0/8']), a);
  const [o1, o2, o3, o4] = a.cidr.split('/')[0].split('.').map(Number);
  assert.equal(o4 % 4, 0);
  assert.equal(a.hostAddress, `${o1}.${o2}.${o3}.${o4 + 1}`);
  assert.equal(a.fabricAddress, `${o1}.${o2}.${o3}.${o4 + 2}`);
  assert.equal(a.prefixLength, 30);

  // Taken by a route, an address inside it, or a wider route: the next slot.
  for (const taken of [a.cidr, a.fabricAddress, `${o1}.${o2}.${o3}.0/24`]) {
    const b = chooseEgressLink('dev', [taken]);
    assert.notEqual(b.cidr, a.cidr, `with ${taken} taken`);
  }
  assert.notEqual(chooseEgressLink('other', []).cidr, a.cidr, 'clusters start at different slots');
  assert.throws(() => chooseEgressLink('dev', ['100.64.0.0/10']), /every \/30 of 100\.64\.0\.0\/10 overlaps a route or address of the host/);
  assert.throws(() => chooseEgressLink('Bad_Name', []), /invalid cluster name/);
});

test('an existing host end address gives back its link; anything else does not', () => {
  const a = chooseEgressLink('dev', []);
  assert.deepEqual(egressLinkOf(a.hostAddress), a);
  assert.equal(egressLinkOf(a.fabricAddress), undefined);
  assert.equal(egressLinkOf('192.0.2.1'), undefined);
  assert.equal(egressLinkOf('nonsense'), undefined);
});

test('host-side names carry the cluster and stay within the limits', () => {
  const v = hostEgressVethName('a-cluster-name-of-forty-characters-xxxxx');
  assert.match(v, /^ske[0-9a-f]{10}$/);
  assert.ok(v.length <= 15);
  assert.notEqual(hostEgressVethName('one'), hostEgressVethName('two'));
  assert.notEqual(hostEgressVethName('one'), fabricVethName('one', 0));
  assert.equal(hostEgressVethAlias('dev'), 'skiff.dev.egress');
  assert.equal(hostEgressTable('dev'), 'skiff-dev-egress');
  assert.ok(HOST_EGRESS_TABLE_RE.test('skiff-dev-egress'));
  assert.ok(HOST_EGRESS_TABLE_RE.test('skiff-e2e-12-34-egress'));
  assert.ok(!HOST_EGRESS_TABLE_RE.test('skiff-proxy'));
  assert.ok(!HOST_EGRESS_TABLE_RE.test('skiff-egress'));
});

test('the node masquerades pod traffic leaving the uplink, except to the cluster ranges', () => {
  const s = nodeEgressScript();
  assert.ok(s.startsWith('add table ip skiff-egress\ndelete table ip skiff-egress\n'), 'replaced in one transaction');
  assert.match(s, /add chain ip skiff-egress postrouting \{ type nat hook postrouting priority srcnat ; policy accept ; \}/);
  assert.match(
    s,
    /add rule ip skiff-egress postrouting oifname "eth0" ip saddr 10\.244\.0\.0\/16 ip daddr != \{ 10\.244\.0\.0\/16, 10\.96\.0\.0\/12, 172\.18\.0\.0\/16 \} masquerade/,
  );
});

test('the fabric masquerades to its link address and lets only replies in from the host', () => {
  const s = fabricEgressScript();
  const rules = s.split('\n').filter((l) => l.startsWith('add rule'));
  assert.deepEqual(rules, [
    'add rule ip skiff-egress forward iifname "egress0" ct state established,related accept',
    'add rule ip skiff-egress forward iifname "egress0" drop',
    'add rule ip skiff-egress postrouting oifname "egress0" masquerade',
  ]);
});

test('the host table forwards only to the allowed CIDRs, masquerades the fabric, and records ip_forward', () => {
  const link = chooseEgressLink('dev', []);
  const veth = hostEgressVethName('dev');
  const s = hostEgressScript('dev', parseEgress('198.51.100.0/24,192.0.2.7'), link, '0');
  assert.ok(s.startsWith('add table ip skiff-dev-egress\ndelete table ip skiff-dev-egress\n'));
  const rules = s.split('\n').filter((l) => l.startsWith('add rule'));
  assert.deepEqual(rules, [
    `add rule ip skiff-dev-egress forward oifname "${veth}" ct state established,related accept`,
    `add rule ip skiff-dev-egress forward oifname "${veth}" drop`,
    `add rule ip skiff-dev-egress forward iifname "${veth}" ip daddr != { 192.0.2.7/32, 198.51.100.0/24 } drop`,
    `add rule ip skiff-dev-egress postrouting ip saddr ${link.fabricAddress} oifname != "${veth}" masquerade`,
  ]);
  // `all` has no destination filter.
  const all = hostEgressScript('dev', { mode: 'all' }, link, '1');
  assert.ok(!all.includes('ip daddr'));
  assert.throws(() => hostEgressScript('dev', { mode: 'none' }, link, '0'), /egress none/);
});

test('the recorded ip_forward is read back from the table listing', () => {
  const comment = forwardingComment('a-cluster-name-of-forty-characters-xxxxx', '0');
  assert.ok(Buffer.byteLength(comment) <= 128, 'nft comments are at most 128 bytes');
  const listing = `table ip skiff-dev-egress {\n\tcomment "${comment}"\n\tchain forward {\n\t}\n}\n`;
  assert.equal(recordedForwarding(listing), '0');
  assert.equal(recordedForwarding(listing.replace('skiff: 0', 'skiff: 1')), '1');
  assert.equal(recordedForwarding('table ip skiff-dev-egress {\n}\n'), undefined);
  assert.equal(recordedForwarding(`table ip x {\n\tcomment "something else"\n}`), undefined);
});

test('ip_forward is recorded as it was before the first skiff cluster changed it', () => {
  assert.equal(forwardingToRecord(undefined, [], '0'), '0', 'the first cluster records the current value');
  assert.equal(forwardingToRecord(undefined, [], '1'), '1');
  assert.equal(forwardingToRecord(undefined, [undefined, '0'], '1'), '0', 'a later cluster inherits what the first recorded');
  assert.equal(forwardingToRecord('0', ['1'], '1'), '0', 'a repair keeps its own record');
});

test('ip_forward goes back only when the last cluster that needed it goes, and only if skiff changed it', () => {
  assert.equal(forwardingAfterRemoval('0', false, '1'), '0');
  assert.equal(forwardingAfterRemoval('0', true, '1'), undefined, 'another cluster still needs it');
  assert.equal(forwardingAfterRemoval('1', false, '1'), undefined, 'it was on before skiff');
  assert.equal(forwardingAfterRemoval(undefined, false, '1'), undefined, 'nothing recorded: leave it');
  assert.equal(forwardingAfterRemoval('0', false, '0'), undefined, 'already off');
});

test('deleting a table never fails for a missing one', () => {
  assert.equal(deleteTableScript('skiff-dev-egress'), 'add table ip skiff-dev-egress\ndelete table ip skiff-dev-egress\n');
});

// nft --check parses and validates against the kernel without changing anything.
const nftCheck = process.getuid?.() === 0 && spawnSync('nft', ['--version']).status === 0;
test('every script is accepted by nft --check', { skip: nftCheck ? false : 'needs root and nft' }, () => {
  const link = chooseEgressLink('dev', []);
  const scripts = [
    nodeEgressScript(),
    fabricEgressScript(),
    hostEgressScript('dev', parseEgress('198.51.100.0/24,192.0.2.7,10.0.0.0/8'), link, '0'),
    hostEgressScript('dev', { mode: 'all' }, link, '1'),
    deleteTableScript('skiff-dev-egress'),
  ];
  for (const s of scripts) {
    const r = spawnSync('nft', ['--check', '-f', '-'], { input: s, encoding: 'utf8' });
    assert.equal(r.status, 0, `${r.stderr}\n${s}`);
  }
});
