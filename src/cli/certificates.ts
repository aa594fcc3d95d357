// The cluster's certificate authority and the API server's serving certificate, made in-process
// with WebCrypto (ECDSA P-256 keeps generation to a few milliseconds).
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export interface ClusterCertificates {
  caCert: string; // PEM
  caKey: string; // PEM, PKCS#8
  serverCert: string; // PEM
  serverKey: string; // PEM, PKCS#8
}

export const CA_COMMON_NAME = 'skiff-ca';
export const SERVER_COMMON_NAME = 'kube-apiserver';

// The names a client may use for the API server: the loopback address kubectl uses, and the
// in-cluster names and Service IP (10.96.0.1) that pods use, as kubeadm lists them.
export const SERVER_DNS_NAMES = [
  'localhost',
  'kubernetes',
  'kubernetes.default',
  'kubernetes.default.svc',
  'kubernetes.default.svc.cluster.local',
];
export const SERVER_IPS = ['127.0.0.1', '10.96.0.1'];

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const TEN_YEARS_MS = 10 * 365.25 * 24 * 3600 * 1000;

function validity(now: Date): { notBefore: Date; notAfter: Date } {
  // A minute of slack so a certificate made just now is already valid for a peer whose
  // clock reads a little earlier.
  return { notBefore: new Date(now.getTime() - 60_000), notAfter: new Date(now.getTime() + TEN_YEARS_MS) };
}

function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = bytes[0]! & 0x7f; // serial numbers are positive integers
  bytes[0] = bytes[0]! | 0x01; // and never start with a zero byte that DER would strip
  return Buffer.from(bytes).toString('hex');
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key as webcrypto.CryptoKey);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

async function newKeyPair(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
}

export async function generateClusterCertificates(now: Date = new Date()): Promise<ClusterCertificates> {
  const [caKeys, serverKeys] = await Promise.all([newKeyPair(), newKeyPair()]);

  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=${CA_COMMON_NAME}`,
    keys: caKeys,
    signingAlgorithm: ALGORITHM,
    ...validity(now),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });

  const server = await signServing(ca, caKeys, serverKeys.publicKey, SERVER_COMMON_NAME, SERVER_DNS_NAMES, SERVER_IPS, now);
  const [caKey, serverKey] = await Promise.all([privateKeyPem(caKeys.privateKey), privateKeyPem(serverKeys.privateKey)]);
  return { caCert: ca.toString('pem'), caKey, serverCert: server, serverKey };
}

async function signServing(ca: x509.X509Certificate, caKeys: CryptoKeyPair, publicKey: CryptoKey, commonName: string, dnsNames: string[], ips: string[], now: Date): Promise<string> {
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: `CN=${commonName}`,
    issuer: ca.subject,
    publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: ALGORITHM,
    ...validity(now),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...dnsNames.map((value) => ({ type: 'dns' as const, value })),
        ...ips.map((value) => ({ type: 'ip' as const, value })),
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
      await x509.SubjectKeyIdentifierExtension.create(publicKey),
    ],
  });
  return cert.toString('pem');
}

/**
 * A serving certificate signed by the cluster's CA, as kubeadm's certs phase makes them for the
 * components: the kubelets' (port 10250) and metrics-server's. Made by `skiff up`, which holds
 * the CA key, so that no component needs an X.509 library of its own.
 */
export async function generateServingCertificate(caCertPem: string, caKeyPem: string, commonName: string, dnsNames: string[], ips: string[], now: Date = new Date()): Promise<{ cert: string; key: string }> {
  const ca = new x509.X509Certificate(caCertPem);
  const caPrivate = await webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(caKeyPem), ALGORITHM, true, ['sign']);
  const caKeys = { privateKey: caPrivate, publicKey: await ca.publicKey.export(ALGORITHM, ['verify']) } as unknown as CryptoKeyPair;
  const keys = await newKeyPair();
  const cert = await signServing(ca, caKeys, keys.publicKey, commonName, dnsNames, ips, now);
  return { cert, key: await privateKeyPem(keys.privateKey) };
}
