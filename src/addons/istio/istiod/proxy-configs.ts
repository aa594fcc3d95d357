import type { KObject } from '../../../api/types.js';
import { buildGatewayConfig, ROOT_NAMESPACE, type MeshSnapshot } from '../config/gateway.js';
import { buildMeshConfig } from '../config/mesh.js';
import { RouteTranslations } from '../config/translations.js';
import type { ProxyConfig } from '../config/types.js';

// The configurations istiod serves, built on demand from the latest snapshot of the cluster:
// the node proxies of the mesh (ztunnel) all get the mesh's configuration, every other proxy is
// a gateway, configured by its namespace and labels. Proxies that look the same (replicas of one
// gateway) share one build, and each kind of proxy keeps the translations of its last build
// (RouteTranslations) for as long as it keeps being asked for.

/** The `app` label of the per-node mesh proxies (src/controllers/addons/istio.ts). */
const ZTUNNEL_APP = 'ztunnel';

export class ProxyConfigs {
  private snapshot: MeshSnapshot | undefined;
  private built = new Map<string, ProxyConfig>();
  private translations = new Map<string, RouteTranslations>();
  private lastTranslations = new Map<string, RouteTranslations>();

  constructor(
    private readonly pod: (namespace: string, name: string) => KObject | undefined,
    /** PILOT_HTTP10 (features.HTTP10): every proxy accepts HTTP/1.0. */
    private readonly acceptHttp10 = false,
  ) {}

  /** A new state of the cluster: every configuration is built again when next asked for. */
  update(snapshot: MeshSnapshot): void {
    this.snapshot = snapshot;
    this.built = new Map();
    // Translations of a kind of proxy no one asked for since the last update are let go.
    this.lastTranslations = this.translations;
    this.translations = new Map();
  }

  /** The configuration of a proxy pod (`namespace/name`), or undefined while the pod or the cluster's state is unknown. */
  for(pod: string): ProxyConfig | undefined {
    if (!this.snapshot) return undefined;
    const [ns, name] = pod.split('/') as [string, string];
    const labels = this.pod(ns, name)?.metadata.labels;
    if (!labels) return undefined;
    const ztunnel = ns === ROOT_NAMESPACE && labels.app === ZTUNNEL_APP;
    const identity = ztunnel ? ZTUNNEL_APP : `${ns}\n${JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)))}`;
    const hit = this.built.get(identity);
    if (hit) return hit;
    const translations = this.translations.get(identity) ?? this.lastTranslations.get(identity) ?? new RouteTranslations();
    this.translations.set(identity, translations);
    const config = ztunnel ? buildMeshConfig(this.snapshot, translations) : buildGatewayConfig(this.snapshot, { namespace: ns, labels }, translations);
    if (this.acceptHttp10) config.acceptHttp10 = true;
    this.built.set(identity, config);
    return config;
  }
}
