// The image reference parts that defaulting needs (docker/distribution reference grammar).

/** The tag of an image reference: `latest` when neither tag nor digest is given. */
export function imageTag(image: string): string {
  const at = image.indexOf('@');
  const named = at >= 0 ? image.slice(0, at) : image;
  const lastSlash = named.lastIndexOf('/');
  const colon = named.lastIndexOf(':');
  if (colon > lastSlash) return named.slice(colon + 1);
  return at >= 0 ? '' : 'latest';
}

/** SetDefaults_Container's pull policy: Always for `latest`, IfNotPresent otherwise. */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  return imageTag(image) === 'latest' ? 'Always' : 'IfNotPresent';
}
