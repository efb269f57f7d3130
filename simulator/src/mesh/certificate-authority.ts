/**
 * A certificate authority as the meshes' CAs are built (OSM's Tresor, istiod's self-signed CA): a self-signed root
 * and leaf certificates it signs, real X.509 from the `selfsigned` package. The meshes choose the subject, the key
 * type, the identity in the SAN and the validity; this module only signs.
 */
import { generate } from 'selfsigned';

/** A root (or a signing intermediate) with its key. */
export interface SigningCa {
  certPem: string;
  keyPem: string;
}

/** A signed leaf with its key and the root its chain ends in. */
export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
  /** The root the leaf chains to (what a peer verifies it against). */
  rootPem: string;
}

export interface RootOptions {
  /** Subject attributes in order (`commonName`, `organizationName`, `countryName`, `localityName`). */
  subject: { name: string; value: string }[];
  /** Validity from now. */
  validityMs: number;
  keyType: 'rsa' | 'ec';
}

/** A self-signed CA certificate valid from a minute ago for `validityMs`. */
export async function createRoot(o: RootOptions): Promise<SigningCa> {
  const now = Date.now();
  const root = await generate(o.subject, {
    keyType: o.keyType, keySize: 2048, algorithm: 'sha256', notBeforeDate: new Date(now - 60_000), notAfterDate: new Date(now + o.validityMs),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { certPem: root.cert, keyPem: root.private };
}

export interface LeafOptions {
  subject: { name: string; value: string }[];
  /** SAN entries: DNS names (type 2) or URIs (type 6). */
  altNames: { type: 2 | 6; value: string }[];
  /** The SAN extension is critical (an empty subject, as Istio's SPIFFE certificates have). */
  criticalSan?: boolean;
  /** NotAfter - now. */
  validityMs: number;
  /** NotBefore = now - backdateMs (Istio's ClockSkewGracePeriod; OSM's Tresor: 0). */
  backdateMs: number;
  keyType: 'rsa' | 'ec';
}

/** A leaf for mTLS (server and client auth) signed by `ca`. */
export async function issueLeaf(ca: SigningCa, o: LeafOptions): Promise<{ certPem: string; keyPem: string }> {
  const now = Date.now();
  const leaf = await generate(o.subject, {
    keyType: o.keyType, keySize: 2048, algorithm: 'sha256', notBeforeDate: new Date(now - o.backdateMs), notAfterDate: new Date(now + o.validityMs),
    ca: { key: ca.keyPem, cert: ca.certPem },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
      { name: 'subjectAltName', ...(o.criticalSan ? { critical: true } : {}), altNames: o.altNames },
    ],
  });
  return { certPem: leaf.cert, keyPem: leaf.private };
}

/** Parses a Go duration (`24h`, `1h30m`, `90s`, `500ms`) into milliseconds; undefined when it is not one. */
export function parseGoDuration(text: string): number | undefined {
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * (units[m[2]!] ?? 0);
    matched = re.lastIndex;
  }
  return matched > 0 && matched === text.length ? total : undefined;
}
