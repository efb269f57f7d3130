/**
 * What the certificate checks read from an X.509 certificate, with node:crypto's X509Certificate: subject, SAN
 * entries, validity, whether a root signed it, and how long until it expires, in words for messages and readiness
 * lines.
 */
import { X509Certificate } from 'node:crypto';

/** The PEM certificate blocks of a bundle, in order. */
export function pemBlocks(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** Parses every certificate of a PEM bundle; throws with a one-line reason when one does not parse. */
export function parseBundle(pem: string, what: string): X509Certificate[] {
  const blocks = pemBlocks(pem);
  if (!blocks.length) throw new Error(`${what} holds no PEM certificate`);
  return blocks.map((b, i) => {
    try {
      return new X509Certificate(b);
    } catch (err) {
      throw new Error(`${what}: certificate ${i + 1} does not parse: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  });
}

/** A subject or issuer on one line: `CN=example-ca, O=Example` (an empty subject: `<empty>`). */
export function distinguishedName(dn: string | undefined): string {
  const parts = (dn ?? '').split('\n').map((p) => p.trim()).filter(Boolean);
  return parts.length ? parts.join(', ') : '<empty>';
}

/** One SAN entry, as X509Certificate reports them (`DNS:…`, `URI:…`, `IP Address:…`). */
export interface SanEntry {
  type: string;
  value: string;
}

export function subjectAltNames(cert: X509Certificate): SanEntry[] {
  return (cert.subjectAltName ?? '').split(/,\s*/).filter(Boolean).map((e) => {
    const i = e.indexOf(':');
    return { type: e.slice(0, i), value: e.slice(i + 1) };
  });
}

/** Validity as dates and its length. */
export function validity(cert: X509Certificate): { notBefore: Date; notAfter: Date; lengthMs: number } {
  const notBefore = new Date(cert.validFrom);
  const notAfter = new Date(cert.validTo);
  return { notBefore, notAfter, lengthMs: notAfter.getTime() - notBefore.getTime() };
}

/** The root of `roots` that issued and signed `leaf` (its issuer matches the root's subject and the root's key verifies it). */
export function issuingRoot(leaf: X509Certificate, roots: readonly X509Certificate[]): X509Certificate | undefined {
  return roots.find((r) => leaf.checkIssued(r) && leaf.verify(r.publicKey));
}

/** `3d 4h`, `26h`, `90m`, `45s`: a duration in its two largest units. */
export function humanDuration(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const parts = d ? [`${d}d`, h ? `${h}h` : ''] : h ? [`${h}h`, m ? `${m}m` : ''] : m ? [`${m}m`, sec ? `${sec}s` : ''] : [`${sec}s`];
  return `${ms < 0 ? '-' : ''}${parts.filter(Boolean).join(' ')}`;
}

/** Parses a Go duration (`24h`, `1h30m`, `90s`, `500ms`) into milliseconds; undefined when it is not one. */
export function parseGoDuration(text: string): number | undefined {
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * (units[m[2] ?? ''] ?? 0);
    matched = re.lastIndex;
  }
  return matched > 0 && matched === text.length ? total : undefined;
}

/** Warn when a root expires sooner than this (30 days). */
export const rootExpiryWarningMs = 30 * 86_400_000;

/** How a CA certificate's validity reads now: expired (fail), expiring within 30 days (warn), or fine. */
export function rootValidityVerdict(cert: X509Certificate, now: Date): { status: 'ok' | 'warn' | 'fail'; text: string } {
  const { notBefore, notAfter } = validity(cert);
  const subject = distinguishedName(cert.subject);
  const left = notAfter.getTime() - now.getTime();
  if (left <= 0) return { status: 'fail', text: `root CA ${subject} expired on ${notAfter.toISOString()} (${humanDuration(left)} ago)` };
  if (notBefore.getTime() > now.getTime()) return { status: 'fail', text: `root CA ${subject} is not valid before ${notBefore.toISOString()}` };
  if (left < rootExpiryWarningMs) return { status: 'warn', text: `root CA ${subject} expires on ${notAfter.toISOString()}, in ${humanDuration(left)} (under 30 days)` };
  return { status: 'ok', text: `root CA ${subject} valid until ${notAfter.toISOString()} (${humanDuration(left)} left)` };
}
