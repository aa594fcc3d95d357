// Event reasons and messages the kubelet records, worded as upstream 1.32
// (pkg/kubelet/events, kuberuntime_container.go, images/image_manager.go, prober).

export const podRef = (name: string, ns: string, uid: string) => `${name}_${ns}(${uid})`;

export const msg = {
  pulled: (image: string) => `Container image "${image}" already present on machine`,
  pulling: (image: string) => `Pulling image "${image}"`,
  pulledNew: (image: string, pullMs: number, totalMs: number, size: number) =>
    `Successfully pulled image "${image}" in ${goDuration(pullMs)} (${goDuration(totalMs)} including waiting). Image size: ${size} bytes.`,
  // skiff's own: which image runs when the registry of an image the catalog knows is unreachable.
  standIn: (image: string, kind: 'stored' | 'builtin', cause: string) =>
    kind === 'stored'
      ? `Using the copy of image "${image}" stored on this machine: the registry cannot be reached: ${cause}`
      : `Using skiff's built-in stand-in for image "${image}" (no copy is stored on this machine): ${cause}`,
  missingPullSecrets: (names: string[]) => `Unable to retrieve some image pull secrets (${names.join(', ')}); attempting to pull the image may not succeed.`,
  invalidImage: (image: string, err: string) => `Failed to apply default image tag "${image}": ${err}`,
  failedPull: (image: string, err: string) => `Failed to pull image "${image}": ${err}`,
  errImagePull: 'Error: ErrImagePull',
  backOffPull: (image: string) => `Back-off pulling image "${image}"`,
  errImagePullBackOff: 'Error: ImagePullBackOff',
  created: (c: string) => `Created container: ${c}`,
  started: (c: string) => `Started container ${c}`,
  stopping: (c: string) => `Stopping container ${c}`,
  probeKill: (c: string, probe: 'liveness' | 'startup') => `Container ${c} failed ${probe} probe, will be restarted`,
  definitionChanged: (c: string) => `Container ${c} definition changed, will be restarted`,
  backOffRestart: (c: string, pod: string) => `Back-off restarting failed container ${c} in pod ${pod}`,
  crashLoop: (delay: string, c: string, pod: string) => `back-off ${delay} restarting failed container=${c} pod=${pod}`,
  failed: (err: string) => `Error: ${err}`,
  failedMount: (volume: string, err: string) => `MountVolume.SetUp failed for volume "${volume}" : ${err}`,
  failedSandbox: (err: string) => `Failed to create pod sandbox: ${err}`,
};

/** Go's time.Duration String of a duration truncated to milliseconds (2.134s, 523ms, 1m2.5s). */
export function goDuration(ms: number): string {
  ms = Math.max(0, Math.floor(ms));
  if (ms < 1000) return `${ms}ms`;
  const m = Math.floor(ms / 60_000);
  const s = ((ms % 60_000) / 1000).toFixed(3).replace(/\.?0+$/, '');
  if (m === 0) return `${s}s`;
  const h = Math.floor(m / 60);
  return h ? `${h}h${m % 60}m${s}s` : `${m}m${s}s`;
}
