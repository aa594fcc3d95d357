import type { Duplex } from 'node:stream';

// The container runtime as the kubelet sees it: the structural contract of
// src/node/kubelet/runtime (issue-3 design). The pod logic depends on this interface, not on
// the class, so that it can be driven by a fake in unit tests.

export interface SandboxConfig {
  podUid: string;
  namespace: string;
  name: string;
  hostname: string;
  hostsFile: string;
  resolvConf: string;
  cpuLimitMillis?: number;
  memoryLimitBytes?: number;
}
export interface SandboxStatus {
  podUid: string;
  namespace: string;
  name: string;
  netns: string;
  ip: string;
  createdAt: string;
}
export interface Mount {
  hostPath: string;
  containerPath: string;
  readOnly?: boolean;
}
export interface ContainerConfig {
  podUid: string;
  name: string;
  attempt: number;
  argv: string[];
  env: Record<string, string>;
  workingDir?: string;
  mounts: Mount[];
  tty?: boolean;
  stdin?: boolean;
}
export interface ContainerStatus {
  podUid: string;
  name: string;
  attempt: number;
  state: 'running' | 'exited';
  pid?: number;
  startedAt: string;
  finishedAt?: string;
  exitCode?: number;
  reason?: 'Completed' | 'Error' | 'OOMKilled';
  logPath: string;
}
export interface ExecProcess {
  stdin: NodeJS.WritableStream | null;
  stdout: NodeJS.ReadableStream;
  stderr: NodeJS.ReadableStream | null;
  resize(cols: number, rows: number): void;
  exit: Promise<number>;
}
export interface LogOptions {
  previous?: boolean;
  follow?: boolean;
  tailLines?: number;
  sinceTime?: Date;
  timestamps?: boolean;
  limitBytes?: number;
}

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
  stats(podUid: string): { cpuUsageNanos: number; memoryBytes: number } | undefined;
}

/** What the kubelet needs from the image catalog (src/images). */
export interface ImageConfig {
  entrypoint: string[];
  cmd: string[];
  env?: Record<string, string>;
  workingDir?: string;
}
export type ResolvedImage = { ok: true; image: ImageConfig } | { ok: false; reason: 'ErrImagePull' | 'InvalidImageName'; message: string };
export interface ImageService {
  resolveImage(image: string): ResolvedImage;
  containerArgv(image: ImageConfig, command?: string[], args?: string[]): string[];
  containerPath(): string;
}

/** Milliseconds since the epoch; injected so restart and probe timing can be tested. */
export interface Clock {
  now(): number;
}
export const realClock: Clock = { now: () => Date.now() };
