/**
 * The judgement of the extended check `workload-identity` on one workload certificate, as problems in words (empty
 * when it holds): issued by the mesh's CA (a root the mesh publishes verifies its signature), the identity the mesh
 * assigns the service account in its SAN, and a validity that matches the configured duration.
 */
import type { X509Certificate } from 'node:crypto';
import type { ConfiguredValidity, ExpectedIdentity } from './workload-certificates.ts';
import { distinguishedName, humanDuration, issuingRoot, subjectAltNames, validity } from './x509.ts';

/** How far the observed validity may differ from the configured one (signing latency, rounding): one minute. */
export const validityToleranceMs = 60_000;

/** One line describing a certificate: `CN=…, O=… (issuer CN=…, serial ab12…)`. */
export function describeCertificate(cert: X509Certificate): string {
  return `subject ${distinguishedName(cert.subject)}, issuer ${distinguishedName(cert.issuer)}, serial ${cert.serialNumber.toLowerCase()}`;
}

/** Why `leaf` was not issued by one of `roots` (undefined when one of them signed it). */
export function issuerProblem(leaf: X509Certificate, roots: readonly X509Certificate[], rootsSource: string): string | undefined {
  if (issuingRoot(leaf, roots)) return undefined;
  const named = roots.filter((r) => leaf.checkIssued(r));
  const rootNames = roots.map((r) => `${distinguishedName(r.subject)} (fingerprint ${r.fingerprint256.slice(0, 23)}…)`).join('; ');
  return named.length
    ? `its issuer ${distinguishedName(leaf.issuer)} has the name of the mesh's root in ${rootsSource}, but that root's key does not verify its signature: it comes from another CA with the same name (mesh roots: ${rootNames})`
    : `its issuer ${distinguishedName(leaf.issuer)} is not a root the mesh publishes in ${rootsSource} (${rootNames})`;
}

/** Why the SAN is not the identity the mesh assigns (undefined when it is). */
export function identityProblem(leaf: X509Certificate, expected: ExpectedIdentity): string | undefined {
  const sans = subjectAltNames(leaf);
  const found = sans.map((s) => `${s.type}:${s.value}`).join(', ') || '<none>';
  if (!sans.some((s) => s.type === expected.sanType && s.value === expected.value)) {
    return `its SAN is [${found}], expected ${expected.sanType}:${expected.value} (${expected.source})`;
  }
  if (expected.commonName !== undefined) {
    const cn = /(?:^|\n)CN=([^\n]*)/.exec(leaf.subject ?? '')?.[1];
    if (cn !== expected.commonName) return `its subject CN is ${cn ?? '<none>'}, expected ${expected.commonName} (${expected.source})`;
  }
  return undefined;
}

/** Why the validity does not match the configuration, or the certificate is not valid now (undefined when fine). */
export function validityProblem(leaf: X509Certificate, configured: ConfiguredValidity, now: Date): string | undefined {
  const v = validity(leaf);
  if (v.notAfter.getTime() <= now.getTime()) return `it expired at ${v.notAfter.toISOString()}`;
  if (v.notBefore.getTime() > now.getTime() + validityToleranceMs) return `it is not valid before ${v.notBefore.toISOString()}`;
  const issuedFor = v.lengthMs - configured.backdateMs;
  if (Math.abs(issuedFor - configured.durationMs) > validityToleranceMs) {
    const backdate = configured.backdateMs ? ` less the ${humanDuration(configured.backdateMs)} the CA backdates` : '';
    return `it is valid for ${humanDuration(issuedFor)} (NotBefore ${v.notBefore.toISOString()}, NotAfter ${v.notAfter.toISOString()}${backdate}), expected ${humanDuration(configured.durationMs)} (${configured.source})`;
  }
  return undefined;
}
