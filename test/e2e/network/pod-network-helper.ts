// Runs addPodNetwork/removePodNetwork in whatever namespace it is started in (the e2e test starts
// it inside a node namespace, as `skiff up` starts the node agent). Prints the result as JSON.
//   node pod-network-helper.js add|remove '{"cluster":…,"node":…,"index":…,"podUid":…,"stateDir":…}'
import { addPodNetwork, removePodNetwork } from '../../../src/node/network/index.js';
import type { PodNetworkOptions } from '../../../src/node/network/index.js';

/** The pod's network once attached. */
async function attached(o: PodNetworkOptions): Promise<{ netns: string; ip: string }> {
  const n = await addPodNetwork(o);
  await n.attached;
  return { netns: n.netns, ip: n.ip };
}

const [op, json] = process.argv.slice(2);
const o = JSON.parse(json);
try {
  if (op === 'add') process.stdout.write(JSON.stringify(await attached(o)));
  else if (op === 'add-many') {
    // Several pods at once, as the agent does when a node starts with many pods bound to it.
    const uids = o.podUids as string[];
    process.stdout.write(JSON.stringify(await Promise.all(uids.map((podUid) => attached({ ...o, podUid })))));
  } else if (op === 'remove') {
    await removePodNetwork(o);
    process.stdout.write('{}');
  } else throw new Error(`unknown operation ${op}`);
} catch (e) {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
}
