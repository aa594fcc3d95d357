// Image manifests as registries serve them: OCI and Docker v2 manifests, and the indexes /
// manifest lists that name one manifest per platform.

export const MEDIA = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
} as const;

/** The Accept header of a manifest request, as containerd sends it. */
export const MANIFEST_ACCEPT = [MEDIA.dockerManifest, MEDIA.dockerList, MEDIA.ociManifest, MEDIA.ociIndex, '*/*'].join(', ');

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture?: string; os?: string; variant?: string };
}

export interface ImageManifest {
  kind: 'manifest';
  config: Descriptor;
  layers: Descriptor[];
}

export interface ImageIndex {
  kind: 'index';
  manifests: Descriptor[];
}

export class ManifestError extends Error {}

function descriptor(v: unknown, what: string): Descriptor {
  const d = v as Partial<Descriptor> | null;
  if (!d || typeof d !== 'object' || typeof d.digest !== 'string' || typeof d.size !== 'number') {
    throw new ManifestError(`${what} is not a content descriptor (digest and size)`);
  }
  return { mediaType: typeof d.mediaType === 'string' ? d.mediaType : '', digest: d.digest, size: d.size, ...(d.platform ? { platform: d.platform } : {}) };
}

/** Parses a manifest or index body; `contentType` is the response's, used when the body names none. */
export function parseManifest(body: Buffer, contentType: string): ImageManifest | ImageIndex {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new ManifestError(`the manifest is not JSON: ${(e as Error).message}`);
  }
  const type = typeof doc.mediaType === 'string' ? doc.mediaType : contentType.split(';')[0].trim();
  if (doc.schemaVersion === 1) throw new ManifestError('Docker Image Format v1 and Docker Image manifest version 2, schema 1 support has been removed');
  if (type === MEDIA.ociIndex || type === MEDIA.dockerList || (Array.isArray(doc.manifests) && !doc.layers)) {
    if (!Array.isArray(doc.manifests)) throw new ManifestError('the index has no manifests');
    return { kind: 'index', manifests: doc.manifests.map((m, i) => descriptor(m, `manifests[${i}]`)) };
  }
  if (!Array.isArray(doc.layers)) throw new ManifestError(`unsupported manifest media type ${JSON.stringify(type)}`);
  return { kind: 'manifest', config: descriptor(doc.config, 'config'), layers: doc.layers.map((l, i) => descriptor(l, `layers[${i}]`)) };
}

/** This machine's platform in OCI terms (GOARCH names). */
export function hostPlatform(): { os: string; architecture: string } {
  const arch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return { os: 'linux', architecture: arch[process.arch] ?? process.arch };
}

/** The index entry for `platform`, as containerd's platform matcher picks it (first match). */
export function selectPlatform(index: ImageIndex, platform = hostPlatform()): Descriptor {
  const found = index.manifests.find((m) => m.platform?.os === platform.os && m.platform?.architecture === platform.architecture);
  if (!found) throw new ManifestError(`no match for platform in manifest: not found`);
  return found;
}
