// Build step: compiles the container runtime's C helper (src/node/kubelet/runtime/helper.ts) into
// dist/, where every cluster's runtime finds it, so that `skiff up` and a cluster's first pod do
// not compile it. Without a C compiler (an install that could not add gcc) it says so and leaves
// the runtime to compile it on first use, which then reports the missing compiler.
import { fileURLToPath } from 'node:url';
import { buildHelper, prebuiltHelperPath } from '../src/node/kubelet/runtime/helper.js';

const dist = fileURLToPath(new URL('../', import.meta.url));
const bin = prebuiltHelperPath(dist);
try {
  buildHelper(bin);
  console.log(`build-helper: wrote ${bin}`);
} catch (e) {
  console.log(`build-helper: skipped (${(e as Error).message})`);
}
