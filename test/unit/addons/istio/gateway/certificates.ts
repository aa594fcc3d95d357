import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { KEY_USAGE, issueCertificate, privateKeyPem } from '../../../../../src/cluster/x509.js';

// Certificates for the proxy's TLS tests: a CA, and leaves it signs for a server or a client name.

export interface Issued {
  cert: string;
  key: string;
  keyObject: KeyObject;
}

export function issue(cn: string, o: string, signer?: Issued, opts: { ca?: boolean; client?: boolean } = {}): Issued {
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const cert = issueCertificate(
    {
      subject: [
        ['O', o],
        ['CN', cn],
      ],
      publicKey: keys.publicKey,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 3600_000),
      ca: opts.ca ?? false,
      keyUsage: opts.ca ? KEY_USAGE.keyCertSign | KEY_USAGE.cRLSign : KEY_USAGE.digitalSignature,
      ...(opts.ca ? {} : { extendedKeyUsage: [opts.client ? 'clientAuth' : 'serverAuth'], dnsNames: [cn] }),
    },
    signer?.keyObject ?? keys.privateKey,
    signer?.cert,
  );
  return { cert, key: privateKeyPem(keys.privateKey), keyObject: keys.privateKey };
}
