// Event reasons and messages the kubelet records, worded as upstream 1.32
// (pkg/kubelet/events, kuberuntime_container.go, images/image_manager.go, prober).

export const podRef = (name: string, ns: string, uid: string) => `${name}_${ns}(${uid})`;

export const msg = {
  pulled: (image: string) => `Container image "${image}" already present on machine`,
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
