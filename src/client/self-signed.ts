// client-go's cert.GenerateSelfSignedCertKey: the serving certificate a component makes for
// itself when it is given none (the kubelet on its port 10250, metrics-server in --cert-dir),
// signed by a throwaway CA named `<host>-ca@<unix time>`. Clients reach such a server with
// verification off (metrics-server's --kubelet-insecure-tls, an APIService's
// insecureSkipTLSVerify). ECDSA P-256 keeps generation to milliseconds.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const ONE_YEAR_MS = 365 * 24 * 3600 * 1000;

function serial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return Buffer.from(bytes).toString('hex');
}

/** A PEM certificate chain (serving certificate, then its CA) and PKCS#8 key for `host`. */
export async function selfSignedServingCert(host: string, ips: string[], dnsNames: string[], now: Date = new Date()): Promise<{ cert: string; key: string }> {
  const gen = () => webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']) as unknown as Promise<CryptoKeyPair>;
  const [caKeys, keys] = await Promise.all([gen(), gen()]);
  const stamp = Math.floor(now.getTime() / 1000);
  const validity = { notBefore: new Date(now.getTime() - 60_000), notAfter: new Date(now.getTime() + ONE_YEAR_MS) };
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${host}-ca@${stamp}`,
    keys: caKeys,
    signingAlgorithm: ALGORITHM,
    ...validity,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.digitalSignature, true)],
  });
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${host}@${stamp}`,
    issuer: ca.subject,
    publicKey: keys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: ALGORITHM,
    ...validity,
    extensions: [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([...dnsNames.map((value) => ({ type: 'dns' as const, value })), ...ips.map((value) => ({ type: 'ip' as const, value }))]),
    ],
  });
  const der = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as webcrypto.CryptoKey);
  return { cert: leaf.toString('pem') + '\n' + ca.toString('pem'), key: x509.PemConverter.encode(der, 'PRIVATE KEY') };
}
