import type { Duplex } from 'node:stream';

// The container runtime as the kubelet sees it: the structural contract of
// src/node/kubelet/runtime (issue-3 design). The pod logic depends on this interface, not on
// the class, so that it can be driven by a fake in unit tests.

import type {
  ContainerConfig,
  ContainerStatus,
  ExecProcess,
  LogOptions,
  PodStats,
  SandboxConfig,
  SandboxStatus,
} from './runtime/index.js';
import type { ImageConfig } from '../../images/config.js';
import type { EnsureRequest, EnsureResult } from '../../images/image-manager.js';
import type { Mount } from './runtime/index.js';
import type { ImageIdentity } from './security-context.js';

export type { ContainerConfig, ContainerStatus, ExecProcess, LogOptions, Mount, PodStats, SandboxConfig, SandboxStatus } from './runtime/index.js';
export type { ImageConfig };
export type { EnsureRequest, EnsureResult };

export interface PodRuntime {
  runSandbox(c: SandboxConfig): Promise<SandboxStatus>;
  removeSandbox(podUid: string): Promise<void>;
  listSandboxes(): SandboxStatus[];
  startContainer(c: ContainerConfig): Promise<ContainerStatus>;
  stopContainer(podUid: string, name: string, graceSeconds: number): Promise<void>;
  containerStatus(podUid: string, name: string, attempt?: number): ContainerStatus | undefined;
  readLogs(podUid: string, name: string, o: LogOptions, out: NodeJS.WritableStream, signal: AbortSignal): Promise<void>;
  exec(podUid: string, name: string, argv: string[], o: { tty: boolean; stdin: boolean }): ExecProcess;
  portForward(podUid: string, port: number): Promise<Duplex>;
  stats(podUid: string): PodStats | undefined;
}

/** An image as its containers get it: the root, host files bound read-only over it, who it runs as. */
export interface ImageRoot {
  rootfs: string;
  mounts: Mount[];
  identity: ImageIdentity;
}

/** What the kubelet needs from the image manager and catalog (src/images). */
export interface ImageService {
  /** Makes the image present per its pull policy (pulling if need be) and says how. */
  ensureImage(req: EnsureRequest): Promise<EnsureResult>;
  containerArgv(image: ImageConfig, command?: string[], args?: string[]): string[];
  containerImage(image: ImageConfig): ImageRoot;
}

/** Milliseconds since the epoch; injected so restart and probe timing can be tested. */
export interface Clock {
  now(): number;
}
export const realClock: Clock = { now: () => Date.now() };
