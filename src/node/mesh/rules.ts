// The node's `ip skiff-mesh` table and policy route, which send a meshed pod's connections to
// Service addresses to this node's ztunnel with their destination unchanged.
//
// Why this shape: the proxy is a Node program, which cannot read SO_ORIGINAL_DST nor open the
// IP_TRANSPARENT sockets TPROXY needs. So nothing rewrites the destination: the packets are
// marked before the service proxy's DNAT (priority -150 < -100), a NAT binding to the same
// address (`dnat to ip daddr`, priority -110) keeps the service proxy's DNAT from running for
// the connection, and the mark selects a routing table whose default route is the ztunnel's
// pod address. In the ztunnel's namespace the Service range is a local route for what arrives
// from the pod network (ztunnelRoutingCommands), so its listener on 0.0.0.0:<port> accepts the
// connection and reads the original ClusterIP as its local address. Replies leave the ztunnel from the ClusterIP and match the connection's conntrack
// entry on the bridge. Pods outside the mesh are untouched: kube-proxy's rules as before.
//
// Their DNS queries to the cluster DNS are the exception: as Istio's DNS capture does, they are
// DNATed to the ztunnel's DNS proxy (ZTUNNEL_DNS_PORT), which answers ServiceEntry hosts and
// asks the cluster DNS the rest; the connection's conntrack entry gives the answers back the
// cluster DNS address as their source. They carry the mark too, every packet of them (the NAT
// chain sees only a flow's first): the node's NetworkPolicy check lets marked traffic pass, and
// the DNS proxy applies the pod's egress policies to the queries it forwards. So, as in Istio
// ambient, whose proxy answers inside the pod, only what goes on to the cluster DNS meets them.
import { CLUSTER_DNS_IP, ZTUNNEL_DNS_PORT } from '../../cluster/constants.js';
import type { MeshCapture } from './capture.js';

export const TABLE = 'ip skiff-mesh';
/** The packet mark of captured traffic (a bit of its own; the service proxy uses 0x4000). */
export const MESH_MARK = '0x80000';
/** The routing table and rule priority the mark selects (1337: istio-proxy's uid, by Istio's habit). */
export const ROUTE_TABLE = '1337';

/** The whole table, replacing what was there (create, delete, rebuild in one transaction). */
export function meshTableScript(c: MeshCapture): string {
  const l = [`add table ${TABLE}`, `delete table ${TABLE}`, `add table ${TABLE} { comment "skiff: meshed pods' Service traffic to ztunnel" ; }`];
  l.push(`add set ${TABLE} meshed-pods { type ipv4_addr ; }`);
  l.push(`add set ${TABLE} captured { type ipv4_addr . inet_service ; }`);
  l.push(`add chain ${TABLE} mangle-prerouting { type filter hook prerouting priority -150 ; }`);
  l.push(`add chain ${TABLE} nat-prerouting { type nat hook prerouting priority -110 ; }`);
  l.push(`add rule ${TABLE} mangle-prerouting ip saddr @meshed-pods ip daddr . tcp dport @captured meta mark set meta mark or ${MESH_MARK}`);
  if (c.ztunnel) {
    const dns = `ip saddr @meshed-pods ip daddr ${CLUSTER_DNS_IP} meta l4proto { tcp, udp } th dport 53`;
    l.push(`add rule ${TABLE} mangle-prerouting ${dns} meta mark set meta mark or ${MESH_MARK}`);
    l.push(`add rule ${TABLE} nat-prerouting ${dns} dnat ip to ${c.ztunnel.ip}:${ZTUNNEL_DNS_PORT}`);
  }
  l.push(`add rule ${TABLE} nat-prerouting meta mark & ${MESH_MARK} == ${MESH_MARK} dnat ip to ip daddr`);
  // Without a ready ztunnel nothing is captured: meshed pods keep plain Service routing.
  if (c.ztunnel && c.members.length > 0 && c.destinations.length > 0) {
    l.push(`add element ${TABLE} meshed-pods { ${c.members.map((m) => m.ip).join(', ')} }`);
    l.push(`add element ${TABLE} captured { ${c.destinations.join(', ')} }`);
  }
  return l.join('\n') + '\n';
}

/** The ztunnel's own connections to the Service range (istiod, cluster DNS) take the main table, before the local table. */
export const ZTUNNEL_OWN_PRIORITY = '50';
/** The local table's rule, moved from priority 0 to after ZTUNNEL_OWN_PRIORITY. */
export const ZTUNNEL_LOCAL_PRIORITY = '100';

/**
 * The `ip` commands that make the Service range and the captured ServiceEntry VIPs local in a
 * ztunnel's namespace, given its current `ip rule show`: connections arriving from the pod
 * network to them are accepted there (local table), while the ztunnel's own traffic to them
 * (its discovery stream to istiod, its DNS queries, an external endpoint at a VIP's address)
 * still leaves through the node. The local table is looked up at priority 0 before any other
 * rule, so it moves behind a rule per address for locally generated packets (`iif lo`): without
 * that, the ztunnel would dial itself, and istiod's answers, whose source the node un-DNATs to
 * istiod's ClusterIP, would be dropped as martians (a local source). VIPs no longer captured
 * lose their rule and local route.
 */
export function ztunnelRoutingCommands(serviceRange: string, rules: string, vips: string[] = []): string[][] {
  const lines = rules.split('\n');
  const has = (pref: string) => lines.some((l) => l.startsWith(`${pref}:`));
  const own = new Set(lines.filter((l) => l.startsWith(`${ZTUNNEL_OWN_PRIORITY}:`)).map((l) => / to (\S+)/.exec(l)?.[1] ?? ''));
  const wanted = [serviceRange, ...vips.map((v) => v.replace(/\/32$/, ''))];
  const out: string[][] = wanted.map((to) => ['route', 'replace', 'local', to, 'dev', 'lo']);
  for (const to of wanted) if (!own.has(to)) out.push(['rule', 'add', 'priority', ZTUNNEL_OWN_PRIORITY, 'iif', 'lo', 'to', to, 'lookup', 'main']);
  for (const to of own) {
    if (!to || wanted.includes(to)) continue;
    out.push(['rule', 'delete', 'priority', ZTUNNEL_OWN_PRIORITY, 'iif', 'lo', 'to', to, 'lookup', 'main'], ['route', 'delete', 'local', to, 'dev', 'lo']);
  }
  if (!has(ZTUNNEL_LOCAL_PRIORITY)) out.push(['rule', 'add', 'priority', ZTUNNEL_LOCAL_PRIORITY, 'lookup', 'local']);
  if (has('0')) out.push(['rule', 'delete', 'priority', '0']);
  return out;
}
