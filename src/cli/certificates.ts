// The cluster's certificate authority and the API server's serving certificate (ECDSA P-256,
// whose keys take well under a millisecond), and the serving certificates the CA signs for the
// components.
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { KEY_USAGE, issueCertificate, privateKeyPem } from '../cluster/x509.js';

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

const TEN_YEARS_MS = 10 * 365.25 * 24 * 3600 * 1000;

function validity(now: Date): { notBefore: Date; notAfter: Date } {
  // A minute of slack so a certificate made just now is already valid for a peer whose
  // clock reads a little earlier.
  return { notBefore: new Date(now.getTime() - 60_000), notAfter: new Date(now.getTime() + TEN_YEARS_MS) };
}

const newKeyPair = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });

export async function generateClusterCertificates(now: Date = new Date()): Promise<ClusterCertificates> {
  const caKeys = newKeyPair();
  const caCert = issueCertificate(
    {
      subject: [['CN', CA_COMMON_NAME]],
      publicKey: caKeys.publicKey,
      ...validity(now),
      ca: true,
      keyUsage: KEY_USAGE.keyCertSign | KEY_USAGE.cRLSign | KEY_USAGE.digitalSignature,
      keyIdentifiers: true,
    },
    caKeys.privateKey,
  );
  const caKey = privateKeyPem(caKeys.privateKey);
  const server = await generateServingCertificate(caCert, caKey, SERVER_COMMON_NAME, SERVER_DNS_NAMES, SERVER_IPS, now);
  return { caCert, caKey, serverCert: server.cert, serverKey: server.key };
}

/**
 * A serving certificate signed by the cluster's CA, as kubeadm's certs phase makes them for the
 * components: the API server's, the kubelets' (port 10250) and metrics-server's. Made by
 * `skiff up`, which holds the CA key, so that no component needs to sign anything itself.
 */
export async function generateServingCertificate(caCertPem: string, caKeyPem: string, commonName: string, dnsNames: string[], ips: string[], now: Date = new Date()): Promise<{ cert: string; key: string }> {
  const keys = newKeyPair();
  const cert = issueCertificate(
    {
      subject: [['CN', commonName]],
      publicKey: keys.publicKey,
      ...validity(now),
      ca: false,
      keyUsage: KEY_USAGE.digitalSignature,
      extendedKeyUsage: ['serverAuth'],
      dnsNames,
      ips,
      keyIdentifiers: true,
    },
    createPrivateKey(caKeyPem),
    caCertPem,
  );
  return { cert, key: privateKeyPem(keys.privateKey) };
}
