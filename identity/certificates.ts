/**
 * Key pairs, certificate signing requests and self-signed certificates (EC P-256, PEM), made with
 * @peculiar/x509 on Node's WebCrypto. A vehicle makes its key and CSR itself, so its private key never
 * leaves it; the local credentials provider makes its own server certificate.
 */
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

export interface KeyAndCsr {
  readonly privateKeyPem: string;
  readonly csrPem: string;
}

export interface KeyAndCertificate {
  readonly privateKeyPem: string;
  readonly certificatePem: string;
}

async function keyPair(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"])) as unknown as CryptoKeyPair;
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey("pkcs8", key as unknown as webcrypto.CryptoKey);
  return x509.PemConverter.encode(der, "PRIVATE KEY");
}

/**
 * A fresh key pair and a CSR for `CN=<commonName>` (on a vehicle: its VIN).
 *
 * @example
 * const { privateKeyPem, csrPem } = await createKeyAndCsr("1HGCM82633A004352");
 */
export async function createKeyAndCsr(commonName: string): Promise<KeyAndCsr> {
  const keys = await keyPair();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: `CN=${commonName}`, keys, signingAlgorithm: ALGORITHM });
  return { privateKeyPem: await privateKeyPem(keys.privateKey), csrPem: csr.toString("pem") };
}

/**
 * A self-signed certificate, valid for a day before and `days` after now, with the given IP/DNS names.
 *
 * @example
 * const server = await createSelfSigned("FleetOTA local credentials provider", { ipAddresses: ["127.0.0.1"], dnsNames: ["localhost"] });
 */
export async function createSelfSigned(
  commonName: string,
  names: { ipAddresses?: readonly string[]; dnsNames?: readonly string[] } = {},
  days = 30,
): Promise<KeyAndCertificate> {
  const keys = await keyPair();
  const alternativeNames = [
    ...(names.ipAddresses ?? []).map((value) => ({ type: "ip" as const, value })),
    ...(names.dnsNames ?? []).map((value) => ({ type: "dns" as const, value })),
  ];
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString("hex").replace(/^[89a-f]/, "1"),
    name: `CN=${commonName}`,
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + days * 86_400_000),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: alternativeNames.length ? [new x509.SubjectAlternativeNameExtension(alternativeNames)] : [],
  });
  return { privateKeyPem: await privateKeyPem(keys.privateKey), certificatePem: certificate.toString("pem") };
}
