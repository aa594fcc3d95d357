import { requiredFlags } from '../../args.js';

// The command line the publisher and its forwarder share: `--cluster C --home H`.

export function parseClusterArgs(argv: string[], who: string): { cluster: string; home: string } {
  return requiredFlags(argv, ['cluster', 'home'], who);
}
