// X.509 certificates the way the components here need them: the cluster CA and the serving
// certificates it signs (`skiff up`), client-go's self-signed pair (kubelet, metrics-server) and
// ingress-nginx's fake certificate. The structures are @peculiar/asn1-x509's schema classes and
// the keys and signatures node:crypto's. That pair loads in a third of the time of a full X.509
// toolkit (its WebCrypto provider, dependency injection and metadata polyfill), and `up` makes
// the CA on its critical path.
import { X509Certificate, createHash, randomBytes, sign, type KeyObject } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  ExtendedKeyUsage,
  Extension,
  Extensions,
  GeneralName,
  KeyIdentifier,
  KeyUsage,
  Name,
  RelativeDistinguishedName,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
  id_kp_clientAuth,
  id_kp_serverAuth,
} from '@peculiar/asn1-x509';

/** RFC 5280's key usage bits, as the KeyUsage extension numbers them. */
export const KEY_USAGE = {
  digitalSignature: 1,
  keyEncipherment: 4,
  keyCertSign: 32,
  cRLSign: 64,
} as const;

const ATTRIBUTE_TYPES: Record<string, string> = { CN: '2.5.4.3', O: '2.5.4.10' };
const OID_ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const OID_SHA256_WITH_RSA = '1.2.840.113549.1.1.11';
const DER_NULL = new Uint8Array([0x05, 0x00]).buffer;

export interface CertificateFields {
  /** Relative distinguished names in order, e.g. [['O', 'Acme Co'], ['CN', 'name']]. */
  subject: [keyof typeof ATTRIBUTE_TYPES, string][];
  publicKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  /** BasicConstraints, critical: a CA or an end entity. */
  ca: boolean;
  /** Bits of KEY_USAGE; the extension is critical. */
  keyUsage: number;
  extendedKeyUsage?: ('serverAuth' | 'clientAuth')[];
  dnsNames?: string[];
  ips?: string[];
  /** Adds the SubjectKeyIdentifier (and, when signed by an issuer, the AuthorityKeyIdentifier). */
  keyIdentifiers?: boolean;
}

/**
 * A certificate in PEM signed with `signingKey`: the issuer's key when `issuerCert` (PEM) names
 * the issuer, else the subject's own (self-signed).
 */
export function issueCertificate(fields: CertificateFields, signingKey: KeyObject, issuerCert?: string): string {
  const spki = AsnConvert.parse(fields.publicKey.export({ type: 'spki', format: 'der' }), SubjectPublicKeyInfo);
  const subject = nameOf(fields.subject);
  const issuer = issuerCert ? AsnConvert.parse(new Uint8Array(new X509Certificate(issuerCert).raw).buffer, Certificate) : undefined;
  const extensions: Extension[] = [
    extension(id_ce_basicConstraints, true, new BasicConstraints({ cA: fields.ca })),
    extension(id_ce_keyUsage, true, new KeyUsage(fields.keyUsage)),
  ];
  if (fields.extendedKeyUsage?.length) {
    const oids = { serverAuth: id_kp_serverAuth, clientAuth: id_kp_clientAuth };
    extensions.push(extension(id_ce_extKeyUsage, false, new ExtendedKeyUsage(fields.extendedKeyUsage.map((u) => oids[u]))));
  }
  const names = [...(fields.dnsNames ?? []).map((dNSName) => new GeneralName({ dNSName })), ...(fields.ips ?? []).map((iPAddress) => new GeneralName({ iPAddress }))];
  if (names.length) extensions.push(extension(id_ce_subjectAltName, false, new SubjectAlternativeName(names)));
  if (fields.keyIdentifiers) {
    if (issuer) {
      const keyIdentifier = new KeyIdentifier(keyId(issuer.tbsCertificate.subjectPublicKeyInfo));
      extensions.push(extension(id_ce_authorityKeyIdentifier, false, new AuthorityKeyIdentifier({ keyIdentifier })));
    }
    extensions.push(extension(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(keyId(spki))));
  }
  const algorithm = signatureAlgorithm(signingKey);
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: serialNumber(),
    signature: algorithm,
    issuer: issuer ? issuer.tbsCertificate.subject : subject,
    validity: new Validity({ notBefore: fields.notBefore, notAfter: fields.notAfter }),
    subject,
    subjectPublicKeyInfo: spki,
    extensions: new Extensions(extensions),
  });
  const signature = sign('sha256', Buffer.from(AsnConvert.serialize(tbs)), signingKey);
  const cert = new Certificate({ tbsCertificate: tbs, signatureAlgorithm: algorithm, signatureValue: new Uint8Array(signature).buffer });
  return toPem(AsnConvert.serialize(cert), 'CERTIFICATE');
}

/** A private key in PKCS#8 PEM, as the Secrets and files here hold them. */
export function privateKeyPem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }) as string;
}


function nameOf(rdns: CertificateFields['subject']): Name {
  return new Name(
    rdns.map(([type, value]) => new RelativeDistinguishedName([new AttributeTypeAndValue({ type: ATTRIBUTE_TYPES[type], value: new AttributeValue({ utf8String: value }) })])),
  );
}

function extension(extnID: string, critical: boolean, value: unknown): Extension {
  return new Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

/** RFC 5280 4.2.1.2 method 1: the SHA-1 of the subjectPublicKey bits. */
function keyId(spki: SubjectPublicKeyInfo): ArrayBuffer {
  return new Uint8Array(createHash('sha1').update(new Uint8Array(spki.subjectPublicKey)).digest()).buffer;
}

function signatureAlgorithm(key: KeyObject): AlgorithmIdentifier {
  if (key.asymmetricKeyType === 'ec') return new AlgorithmIdentifier({ algorithm: OID_ECDSA_WITH_SHA256 });
  if (key.asymmetricKeyType === 'rsa') return new AlgorithmIdentifier({ algorithm: OID_SHA256_WITH_RSA, parameters: DER_NULL });
  throw new Error(`signing a certificate with a ${key.asymmetricKeyType} key is not supported`);
}

/** 16 random bytes, positive and without a leading zero byte DER would strip. */
function serialNumber(): ArrayBuffer {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return new Uint8Array(bytes).buffer;
}


function toPem(der: ArrayBuffer, label: string): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;
}
