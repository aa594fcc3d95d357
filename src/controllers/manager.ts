import type { ApiClient } from '../client/client.js';
import { EventRecorder } from '../client/events.js';
import { SharedInformers, stripManagedFields } from '../client/informer.js';
import { startCoreDNSAddon, startIngressNginxAddon, startIstioAddon, startMetricsServerAddon } from './addons/controller.js';
import { startAPIServiceAvailability } from './apiservice/controller.js';
import { startDaemonSetController } from './daemonset/controller.js';
import { startCronJobController } from './cronjob/controller.js';
import { startJobController } from './job/controller.js';
import { startTTLAfterFinishedController } from './ttlafterfinished/controller.js';
import { startDeploymentController } from './deployment/controller.js';
import { startEndpointsController } from './endpoints/controller.js';
import { startEndpointSliceController } from './endpointslice/controller.js';
import { startGarbageCollector } from './garbagecollector/controller.js';
import type { RunningController } from '../client/loop.js';
import { startNamespaceController } from './namespace/controller.js';
import { startNodeLifecycleController } from './nodelifecycle/controller.js';
import { startHorizontalController } from './podautoscaler/controller.js';
import type { HPAOptions } from './podautoscaler/options.js';
import { startPodGC } from './podgc/controller.js';
import { startReplicaSetController } from './replicaset/controller.js';
import { startRootCACertPublisher } from './rootcacert/controller.js';
import { startServiceAccountsController } from './serviceaccount/controller.js';
import type { Logger } from '../log.js';

// Starts every controller of the control plane on one set of shared informers, all
// talking to the apiserver through the given client.

export interface ControllerManager {
  /** Resolves once every controller has synced its informers. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

export interface ControllerOptions {
  log?: Logger;
  /** The cluster CA (PEM) the root-ca-cert-publisher puts in every namespace; without it that controller does not run. */
  ca?: string;
  /** How long a kubelet may stay silent before its node turns Unknown (default 40 s). */
  nodeMonitorGracePeriodMs?: number;
  /** How long a node must be gone before PodGC deletes its pods (default 40 s). */
  podGCQuarantineMs?: number;
  /** The cluster's egress setting, passed to the DNS add-on (which upstream resolvers pods can reach). */
  egress?: string;
  /** kube-controller-manager's --horizontal-pod-autoscaler-* settings. */
  horizontalPodAutoscaler?: Partial<HPAOptions>;
  /**
   * Where the node agents' kubelet.sock files are (`<nodesDir>/<node>/kubelet.sock`): the APIService
   * availability check reaches backends in the pod network through them. Without it that controller does not run.
   */
  nodesDir?: string;
  /** metrics-server's serving certificate and key (PEM), put in the Secret its Deployment mounts. */
  metricsServerServing?: () => { cert: string; key: string } | undefined;
  /** istiod's serving certificate and key (PEM) for its discovery stream, put in Secret istiod-tls. */
  istiodServing?: () => { cert: string; key: string } | undefined;
  /** Informers shared with other components (the scheduler); the caller starts and stops them. */
  informers?: SharedInformers;
}

export function startControllers(client: ApiClient, opts: ControllerOptions = {}): ControllerManager {
  const ownInformers = !opts.informers;
  const informers = opts.informers ?? new SharedInformers(client, opts.log, stripManagedFields);
  const recorder = (component: string) => new EventRecorder(client, component, opts.log);
  const deploymentEvents = recorder('deployment-controller');
  const replicaSetEvents = recorder('replicaset-controller');
  const daemonSetEvents = recorder('daemonset-controller');
  const jobEvents = recorder('job-controller');
  const cronJobEvents = recorder('cronjob-controller');
  const nodeEvents = recorder('node-controller');
  const evictionEvents = recorder('taint-eviction-controller');
  const hpaEvents = recorder('horizontal-pod-autoscaler');
  const controllers: RunningController[] = [
    startNamespaceController(client, informers, opts.log),
    startGarbageCollector(client, informers, opts.log),
    startReplicaSetController(client, informers, replicaSetEvents, opts.log),
    startDeploymentController(client, informers, deploymentEvents, opts.log),
    startDaemonSetController(client, informers, daemonSetEvents, opts.log),
    startJobController(client, informers, jobEvents, opts.log),
    startCronJobController(client, informers, cronJobEvents, opts.log),
    startTTLAfterFinishedController(client, informers, opts.log),
    startServiceAccountsController(client, informers, opts.log),
    startNodeLifecycleController(client, informers, { node: nodeEvents, eviction: evictionEvents }, { log: opts.log, gracePeriodMs: opts.nodeMonitorGracePeriodMs }),
    startPodGC(client, informers, { log: opts.log, quarantineMs: opts.podGCQuarantineMs }),
    startEndpointSliceController(client, informers, opts.log),
    startEndpointsController(client, informers, opts.log),
    startCoreDNSAddon(client, informers, opts.log, { egress: opts.egress }),
    startIngressNginxAddon(client, informers, opts.log),
    startMetricsServerAddon(client, informers, opts.log, opts.metricsServerServing),
    startHorizontalController(client, informers, hpaEvents, { log: opts.log, hpa: opts.horizontalPodAutoscaler }),
    startIstioAddon(client, informers, opts.log, opts.istiodServing),
  ];
  if (opts.nodesDir) controllers.push(startAPIServiceAvailability(client, informers, opts.nodesDir, opts.log));
  if (opts.ca) controllers.push(startRootCACertPublisher(client, informers, opts.ca, opts.log));
  if (ownInformers) informers.start();
  return {
    ready: Promise.all(controllers.map((c) => c.ready)).then(() => undefined),
    async stop() {
      await Promise.all(controllers.map((c) => c.stop()));
      if (ownInformers) await informers.stop();
      await Promise.all([deploymentEvents.flush(), replicaSetEvents.flush(), daemonSetEvents.flush(), jobEvents.flush(), cronJobEvents.flush(), nodeEvents.flush(), evictionEvents.flush(), hpaEvents.flush()]);
    },
  };
}
