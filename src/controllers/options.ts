// kube-controller-manager's command line (cmd/kube-controller-manager/app/options), as far as
// skiff's controller manager implements it: the flags of the controllers it runs, with upstream's
// names, syntax and defaults. `skiff up --kube-controller-manager-arg` (k3s's flag, k3s's
// `name=value` form) hands them to the control plane; a flag it does not implement is refused
// rather than silently doing nothing.
import { HPA_FLAGS, parseHPAFlags, type HPAOptions } from './podautoscaler/options.js';

export const CONTROLLER_MANAGER_FLAGS: readonly string[] = [...HPA_FLAGS];

export interface ControllerManagerFlags {
  horizontalPodAutoscaler: HPAOptions;
}

/**
 * One --kube-controller-manager-arg as the flag it stands for: `name=value`, with or without
 * leading dashes (k3s strips them), and a bare `name` meaning `name=true`, as k3s's GetArgs reads it.
 */
export function controllerManagerFlag(arg: string): string {
  const s = arg.replace(/^--?/, '');
  return `--${s.includes('=') ? s : `${s}=true`}`;
}

/** Parses `--name=value` flags; later ones win, as k3s and pflag let them. Throws naming a bad flag or value. */
export function parseControllerManagerFlags(flags: readonly string[]): ControllerManagerFlags {
  for (const f of flags) {
    const name = /^--([^=]*)/.exec(f)?.[1] ?? f;
    if (!CONTROLLER_MANAGER_FLAGS.includes(name)) {
      throw new Error(`unknown flag: --${name} (skiff's controller manager takes ${CONTROLLER_MANAGER_FLAGS.map((n) => `--${n}`).join(', ')})`);
    }
  }
  return { horizontalPodAutoscaler: parseHPAFlags([...flags]) };
}
