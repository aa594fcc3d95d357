// client-go's cert.GenerateSelfSignedCertKey: the serving certificate a component makes for
// itself when it is given none (the kubelet on its port 10250, metrics-server in --cert-dir),
// signed by a throwaway CA named `<host>-ca@<unix time>`. Clients reach such a server with
// verification off (metrics-server's --kubelet-insecure-tls, an APIService's
// insecureSkipTLSVerify). ECDSA P-256 keeps generation to milliseconds.
import { generateKeyPairSync } from 'node:crypto';
import { KEY_USAGE, issueCertificate, privateKeyPem } from '../cluster/x509.js';

const ONE_YEAR_MS = 365 * 24 * 3600 * 1000;

/** A PEM certificate chain (serving certificate, then its CA) and PKCS#8 key for `host`. */
export async function selfSignedServingCert(host: string, ips: string[], dnsNames: string[], now: Date = new Date()): Promise<{ cert: string; key: string }> {
  const caKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const stamp = Math.floor(now.getTime() / 1000);
  const validity = { notBefore: new Date(now.getTime() - 60_000), notAfter: new Date(now.getTime() + ONE_YEAR_MS) };
  const ca = issueCertificate(
    { subject: [['CN', `${host}-ca@${stamp}`]], publicKey: caKeys.publicKey, ...validity, ca: true, keyUsage: KEY_USAGE.keyCertSign | KEY_USAGE.digitalSignature },
    caKeys.privateKey,
  );
  const leaf = issueCertificate(
    {
      subject: [['CN', `${host}@${stamp}`]],
      publicKey: keys.publicKey,
      ...validity,
      ca: false,
      keyUsage: KEY_USAGE.digitalSignature | KEY_USAGE.keyEncipherment,
      extendedKeyUsage: ['serverAuth'],
      dnsNames,
      ips,
    },
    caKeys.privateKey,
    ca,
  );
  return { cert: leaf + '\n' + ca, key: privateKeyPem(keys.privateKey) };
}
