/**
 * What an Envoy admin endpoint shows of the SDS secrets a proxy holds, in Envoy's own JSON (snake_case proto field
 * names, as the admin handler renders them): `/config_dump` with a `SecretsConfigDump` (what `istioctl proxy-config
 * secret` and `osm proxy get config_dump` read), and `/certs` (Envoy's certificate summary). Private keys are redacted
 * as Envoy redacts them (`[redacted]`, base64 in `inline_bytes`).
 */
import { X509Certificate } from 'node:crypto';

/** One SDS secret: a workload certificate chain (`tls_certificate`) or a trust bundle (`validation_context`). */
export interface EnvoySecret {
  name: string;
  kind: 'tls_certificate' | 'validation_context';
  /** PEM: the certificate chain, or the trusted CA bundle. */
  pem: string;
  /** When the proxy received it. */
  lastUpdated: Date;
  versionInfo: string;
}

const redacted = Buffer.from('[redacted]').toString('base64');
const b64 = (text: string): string => Buffer.from(text).toString('base64');

/** A secret as `SecretsConfigDump.DynamicSecret`. */
function dynamicSecret(s: EnvoySecret): Record<string, unknown> {
  const secret = s.kind === 'tls_certificate'
    ? { name: s.name, tls_certificate: { certificate_chain: { inline_bytes: b64(s.pem) }, private_key: { inline_bytes: redacted } } }
    : { name: s.name, validation_context: { trusted_ca: { inline_bytes: b64(s.pem) } } };
  return {
    name: s.name,
    version_info: s.versionInfo,
    last_updated: s.lastUpdated.toISOString(),
    secret: { '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret', ...secret },
  };
}

/**
 * `GET /config_dump`: the bootstrap (node id and cluster) and the secrets; listeners, clusters and routes are left
 * out (nothing reads them from the simulator). `?resource=dynamic_active_secrets` answers the secrets alone, as Envoy
 * does for a `resource` filter.
 */
export function renderConfigDump(node: { id: string; cluster: string }, secrets: readonly EnvoySecret[], query: URLSearchParams): string {
  if (query.get('resource') === 'dynamic_active_secrets') {
    return JSON.stringify({ configs: secrets.map((s) => ({ '@type': 'type.googleapis.com/envoy.admin.v3.SecretsConfigDump.DynamicSecret', ...dynamicSecret(s) })) }, null, 2);
  }
  return JSON.stringify({
    configs: [
      { '@type': 'type.googleapis.com/envoy.admin.v3.BootstrapConfigDump', bootstrap: { node: { id: node.id, cluster: node.cluster } } },
      { '@type': 'type.googleapis.com/envoy.admin.v3.SecretsConfigDump', dynamic_active_secrets: secrets.map(dynamicSecret) },
    ],
  }, null, 2);
}

/** One certificate as `/certs` describes it. */
function certDetails(pem: string, now: Date): Record<string, unknown> {
  const x = new X509Certificate(pem);
  const sans = (x.subjectAltName ?? '').split(', ').filter(Boolean).map((e) => {
    const [type, ...rest] = e.split(':');
    const value = rest.join(':');
    return type === 'URI' ? { uri: value } : type === 'DNS' ? { dns: value } : { ip_address: value };
  });
  const expires = new Date(x.validTo);
  return {
    path: '<inline>',
    serial_number: x.serialNumber.toLowerCase(),
    subject_alt_names: sans,
    days_until_expiration: String(Math.max(0, Math.floor((expires.getTime() - now.getTime()) / 86_400_000))),
    valid_from: new Date(x.validFrom).toISOString().replace('.000Z', 'Z'),
    expiration_time: expires.toISOString().replace('.000Z', 'Z'),
  };
}

/** The PEM blocks of a bundle. */
export function pemBlocks(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** `GET /certs`: per TLS context, its CA certificates and its certificate chain. */
export function renderCerts(secrets: readonly EnvoySecret[], now: Date): string {
  const chain = secrets.filter((s) => s.kind === 'tls_certificate').flatMap((s) => pemBlocks(s.pem));
  const ca = secrets.filter((s) => s.kind === 'validation_context').flatMap((s) => pemBlocks(s.pem));
  const certificates = chain.length || ca.length ? [{ ca_cert: ca.map((p) => certDetails(p, now)), cert_chain: chain.map((p) => certDetails(p, now)) }] : [];
  return JSON.stringify({ certificates }, null, 2);
}
