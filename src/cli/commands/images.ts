// `skiff images`: what the machine's image store holds (crictl images' columns), and
// `skiff images prune`, which removes what no running container uses.
import { skiffHome } from '../../cluster/home.js';
import { pruneStore } from '../../images/store/prune.js';
import { ImageStore } from '../../images/store/store.js';

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] + 3))).join('').trimEnd()).join('\n') + '\n';
}

/** crictl's image size: 1024-based units with a decimal SI-looking suffix, e.g. 1.12MB. */
function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let n = bytes;
  let u = 0;
  while (n >= 1000 && u < units.length - 1) {
    n /= 1000;
    u++;
  }
  return `${u === 0 ? n : n.toPrecision(3).replace(/\.?0+$/, '')}${units[u]}`;
}

export async function images(flags: { prune: boolean }): Promise<number> {
  const store = new ImageStore(skiffHome());
  if (flags.prune) {
    const r = pruneStore(store);
    for (const ref of r.images) process.stdout.write(`Deleted: ${ref}\n`);
    process.stdout.write(`Removed ${r.images.length} images and ${r.layers} layers\n`);
    return 0;
  }
  const rows = [['IMAGE', 'TAG', 'IMAGE ID', 'SIZE']];
  for (const img of store.list().sort((a, b) => a.reference.localeCompare(b.reference))) {
    const m = /^(.*?)(?::([^:/@]+))?(?:@.*)?$/.exec(img.reference)!;
    rows.push([m[1], m[2] ?? '<none>', img.id.replace(/^sha256:/, '').slice(0, 13), humanSize(img.size)]);
  }
  process.stdout.write(table(rows));
  return 0;
}
