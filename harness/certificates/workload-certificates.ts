/**
 * Workload identity as a mesh profile describes it, and the reading of a proxy's certificates from its Envoy admin
 * `/config_dump` (the `SecretsConfigDump` `istioctl proxy-config secret` and `osm proxy get config_dump` print). A
 * mesh profile says where its proxy's admin port is, which SDS secret holds the workload certificate, what identity
 * the mesh gives a service account, where the mesh publishes its root, and the validity it is configured to issue.
 */
import type { AccessRequirement } from '../readiness/access-review.ts';
import type { V1Pod } from '@kubernetes/client-node';
import type { KubeClient } from '../k8s/kube-client.ts';

/** The SAN the mesh puts in a workload certificate for a service account. */
export interface ExpectedIdentity {
  /** As X509Certificate prints it: `DNS` or `URI`. */
  sanType: 'DNS' | 'URI';
  value: string;
  /** The subject CN the mesh also sets (OSM: the same name), if any. */
  commonName?: string;
  /** Where the format comes from, for messages and docs. */
  source: string;
}

/** The validity a mesh is configured to issue, and where that was read. */
export interface ConfiguredValidity {
  durationMs: number;
  /** Where it was read: `<the mesh's config object> <field>=24h`. */
  source: string;
  /** How far before signing the CA backdates NotBefore (Istio: 2 minutes of clock-skew grace; OSM: 0). */
  backdateMs: number;
}

/** A trust bundle the mesh publishes, or why it could not be read. */
export type TrustAnchors = { source: string; pem: string } | { problem: string };

export interface WorkloadCertificates {
  /** The proxy container's Envoy admin port (bound to the pod's localhost: reached through a port-forward). */
  readonly adminPort: number;
  /** The SDS secret holding the workload's certificate chain (`default`; `service-cert:<ns>/<sa>`). */
  secretName(namespace: string, serviceAccount: string): string;
  identity(namespace: string, serviceAccount: string): ExpectedIdentity;
  /** The roots the mesh publishes (a Secret or ConfigMap), which a workload certificate must chain to. */
  trustAnchors(client: KubeClient, namespace: string, budgetMs: number): Promise<TrustAnchors>;
  validity(client: KubeClient, pod: V1Pod, budgetMs: number): Promise<ConfiguredValidity>;
  /** What `trustAnchors` and `validity` read beyond the core's reads: pre-flight reviews it, the shipped RBAC grants it. */
  readonly reads: AccessRequirement[];
}

/** One secret from a config dump. */
export interface DumpedSecret {
  name: string;
  kind: 'tls_certificate' | 'validation_context' | 'other';
  /** The PEM (decoded from `inline_bytes`), or '' when the secret points to a file or SDS. */
  pem: string;
}

type Json = Record<string, unknown>;
const o = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Json : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
/** A field by its proto name in snake_case (Envoy's admin) or lowerCamelCase (istioctl's re-marshalled JSON). */
const f = (obj: Json, snake: string): unknown => obj[snake] ?? obj[snake.replace(/_([a-z])/g, (_m: string, c: string) => c.toUpperCase())];

function inlinePem(source: unknown): string {
  const s = o(source);
  const bytes = f(s, 'inline_bytes');
  if (typeof bytes === 'string') return Buffer.from(bytes, 'base64').toString('utf8');
  const text = f(s, 'inline_string');
  return typeof text === 'string' ? text : '';
}

/**
 * The dynamic active secrets of an Envoy `/config_dump` (the whole dump, or `?resource=dynamic_active_secrets`).
 * Throws with a one-line reason when the body is not a config dump.
 */
export function secretsFromConfigDump(body: string): DumpedSecret[] {
  let dump: Json;
  try {
    dump = o(JSON.parse(body));
  } catch (err) {
    throw new Error(`the admin endpoint did not answer JSON: ${body.slice(0, 120)}`, { cause: err });
  }
  const configs = arr(dump['configs']).map(o);
  if (!configs.length) throw new Error(`the config dump has no configs: ${body.slice(0, 120)}`);
  const dynamic = configs.flatMap((c) => {
    const type = typeof c['@type'] === 'string' ? c['@type'] : '';
    if (type.endsWith('SecretsConfigDump')) return arr(f(c, 'dynamic_active_secrets')).map(o);
    if (type.endsWith('SecretsConfigDump.DynamicSecret')) return [c];
    return [];
  });
  return dynamic.map((d) => {
    const secret = o(d['secret']);
    const name = typeof d['name'] === 'string' ? d['name'] : typeof secret['name'] === 'string' ? secret['name'] : '';
    const tls = f(secret, 'tls_certificate');
    if (tls !== undefined) return { name, kind: 'tls_certificate' as const, pem: inlinePem(f(o(tls), 'certificate_chain')) };
    const validation = f(secret, 'validation_context');
    if (validation !== undefined) return { name, kind: 'validation_context' as const, pem: inlinePem(f(o(validation), 'trusted_ca')) };
    return { name, kind: 'other' as const, pem: '' };
  });
}
