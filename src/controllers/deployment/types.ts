import type { KObject } from '../../api/types.js';
import type { EventType } from '../../client/events.js';

export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; [k: string]: unknown };
  spec?: unknown;
}

/** The API calls a deployment sync makes; the controller wires them to the client. */
export interface DeploymentEffects {
  createReplicaSet(rs: KObject): Promise<KObject>;
  updateReplicaSet(rs: KObject): Promise<KObject>;
  /** Resolves when the ReplicaSet is gone already. */
  deleteReplicaSet(rs: KObject): Promise<void>;
  /** Replaces the ReplicaSet's ownerReferences (adoption and release). */
  setReplicaSetOwnerRefs(rs: KObject, refs: KObject['metadata']['ownerReferences']): Promise<KObject>;
  /** The cached ReplicaSet of that name, consulted when a create reports AlreadyExists. */
  getReplicaSet(namespace: string, name: string): KObject | undefined;
  updateDeploymentStatus(d: KObject): Promise<KObject>;
  /** Sets annotations on the Deployment object (the revision is metadata, not status). */
  patchDeploymentAnnotations(d: KObject, annotations: Record<string, string>): Promise<KObject>;
  event(obj: KObject, type: EventType, reason: string, message: string): void;
  now(): number;
}

/** One sync's state: upstream mutates the deployment as it goes; so do we, on a copy. */
export interface SyncContext {
  fx: DeploymentEffects;
  d: KObject;
  /** The deployment's ReplicaSets; writes replace their entries so later steps see them. */
  rsList?: KObject[];
  /** Set when the rollout must be looked at again after a delay. */
  requeueAfter?: number;
  /** Set when the rollout must be looked at again as soon as the rate limiter allows. */
  requeue?: boolean;
}
