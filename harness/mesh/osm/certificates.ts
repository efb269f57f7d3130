/**
 * OSM 1.2's certificate management (docs/certificates.md): the provider osm-controller runs with (its
 * `--certificate-manager` flag, from the Helm value `osm.certificateProvider.kind`: tresor by default, vault,
 * cert-manager; MeshConfig 1.2 has no provider field), the root CA in the Secret `--ca-bundle-secret-name`
 * (`osm-ca-bundle`, key `ca.crt`), Vault's health when Vault signs, the cert-manager issuer's Ready condition when
 * cert-manager does; and what a workload certificate must look like: CN and DNS SAN `<sa>.<ns>.<trust domain>`, signed
 * by that root, valid for MeshConfig `certificate.serviceCertValidityDuration` (OSM `pkg/certificate`).
 */
import type { KubernetesObject, V1Deployment, V1Secret } from '@kubernetes/client-node';
import type { ConfiguredValidity, ExpectedIdentity, TrustAnchors, WorkloadCertificates } from '../../certificates/workload-certificates.ts';
import { parseBundle, parseGoDuration, rootValidityVerdict } from '../../certificates/x509.ts';
import type { KubeClient } from '../../k8s/kube-client.ts';
import { KubeApiError } from '../../k8s/api-error.ts';
import { resourceTypes } from '../../k8s/resources.ts';
import type { ReadinessCategory, ReadinessContext } from '../../readiness/readiness-registry.ts';
import type { ReadinessLine } from '../../readiness/readiness-result.ts';
import { fail, ok, warn } from '../../readiness/readiness-result.ts';
import { readyEndpoints } from '../../readiness/probes.ts';
import { serviceProxyGet } from '../../k8s/service-proxy.ts';
import { errorText } from '../../text.ts';
import type { MeshSettings } from '../mesh-profile.ts';
import { meshConfigName } from './keys.ts';

const secretType = { apiVersion: 'v1', kind: 'Secret' } as const;
const meshConfigType = { apiVersion: 'config.openservicemesh.io/v1alpha2', kind: 'MeshConfig' } as const;
/** OSM's trust domain default (Helm `osm.trustDomain`, osm-controller `--trust-domain`). */
const defaultTrustDomain = 'cluster.local';
const defaultServiceCertValidity = '24h';

/** What osm-controller's flags say about certificates (charts/osm/templates/osm-deployment.yaml). */
export interface OsmCertificateFlags {
  provider: string;
  caBundleSecret: string;
  trustDomain: string;
  vault: { host: string; port: string; protocol: string };
  certManager: { issuerName: string; issuerKind: string; issuerGroup: string };
}

/** Reads a flag in either `--flag value` or `--flag=value` form. */
function flag(args: readonly string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i += 1) {
    const a = args[i] ?? '';
    if (a === `--${name}` || a === `-${name}`) return args[i + 1];
    const m = new RegExp(`^--?${name}=(.*)$`).exec(a);
    if (m) return m[1];
  }
  return undefined;
}

/** The certificate flags of an osm-controller Deployment, with osm-controller's own defaults (cmd/osm-controller). */
export function certificateFlags(d: V1Deployment | undefined): OsmCertificateFlags {
  const c = d?.spec?.template.spec?.containers.find((x) => x.name === 'osm-controller') ?? d?.spec?.template.spec?.containers[0];
  const args = [...(c?.command ?? []), ...(c?.args ?? [])];
  return {
    provider: flag(args, 'certificate-manager') ?? 'tresor',
    caBundleSecret: flag(args, 'ca-bundle-secret-name') || 'osm-ca-bundle',
    trustDomain: flag(args, 'trust-domain') || defaultTrustDomain,
    vault: { host: flag(args, 'vault-host') ?? 'vault.default.svc.cluster.local', port: flag(args, 'vault-port') ?? '8200', protocol: flag(args, 'vault-protocol') ?? 'http' },
    certManager: { issuerName: flag(args, 'cert-manager-issuer-name') ?? 'osm-ca', issuerKind: flag(args, 'cert-manager-issuer-kind') ?? 'Issuer', issuerGroup: flag(args, 'cert-manager-issuer-group') ?? 'cert-manager.io' },
  };
}

async function controllerFlags(client: KubeClient, s: MeshSettings, budgetMs: number): Promise<{ deployment: V1Deployment | undefined; flags: OsmCertificateFlags }> {
  const deployment = await client.read<V1Deployment>({ ...resourceTypes.deployment, namespace: s.namespace, name: 'osm-controller' }, { budgetMs });
  return { deployment, flags: certificateFlags(deployment) };
}

/** `ca.crt` of the CA bundle Secret, or why it cannot be read. */
async function caBundle(client: KubeClient, namespace: string, name: string, budgetMs: number): Promise<TrustAnchors & { missing?: boolean }> {
  const where = `Secret ${namespace}/${name}`;
  let secret: V1Secret | undefined;
  try {
    secret = await client.read<V1Secret>({ ...secretType, namespace, name }, { budgetMs });
  } catch (err) {
    if (err instanceof KubeApiError && err.code === 403) return { problem: `${where} cannot be read (forbidden): grant get on secrets in ${namespace} to check OSM's root CA` };
    throw err;
  }
  if (!secret) return { problem: `${where} not found`, missing: true };
  const b64 = secret.data?.['ca.crt'];
  if (!b64) return { problem: `${where} has no key ca.crt` };
  return { source: `${where} key ca.crt`, pem: Buffer.from(b64, 'base64').toString('utf8') };
}

/** OSM's workload certificates for the extended check `workload-identity`. */
export function osmWorkloadCertificates(s: MeshSettings): WorkloadCertificates {
  return {
    adminPort: 15000,
    reads: [{ verbs: ['get'], group: '', resource: 'secrets', namespace: s.namespace, why: 'read the root OSM publishes (osm-ca-bundle) for the extended check workload-identity' }],
    // pkg/envoy/secrets: "service-cert:<namespace>/<service account>".
    secretName: (namespace, serviceAccount) => `service-cert:${namespace}/${serviceAccount}`,
    identity(namespace, serviceAccount): ExpectedIdentity {
      const name = `${serviceAccount}.${namespace}.${defaultTrustDomain}`;
      return { sanType: 'DNS', value: name, commonName: name, source: 'OSM 1.2 service certificate: CN and DNS SAN <service account>.<namespace>.<trust domain> (pkg/certificate/options.go, providers/tresor)' };
    },
    async trustAnchors(client, _namespace, budgetMs) {
      const { flags } = await controllerFlags(client, s, budgetMs);
      return caBundle(client, s.namespace, flags.caBundleSecret, budgetMs);
    },
    async validity(client, _pod, budgetMs): Promise<ConfiguredValidity> {
      const mc = await client.read<KubernetesObject & { spec?: { certificate?: { serviceCertValidityDuration?: string } } }>({ ...meshConfigType, namespace: s.namespace, name: meshConfigName }, { budgetMs });
      const text = mc?.spec?.certificate?.serviceCertValidityDuration ?? defaultServiceCertValidity;
      const durationMs = parseGoDuration(text);
      if (durationMs === undefined) throw new Error(`MeshConfig ${s.namespace}/${meshConfigName} spec.certificate.serviceCertValidityDuration=${text} is not a duration`);
      return { durationMs, backdateMs: 0, source: `MeshConfig ${s.namespace}/${meshConfigName} spec.certificate.serviceCertValidityDuration=${text}${mc?.spec?.certificate?.serviceCertValidityDuration ? '' : ' (default)'}` };
    },
  };
}

const providerWords: Record<string, string> = {
  tresor: 'Tresor, OSM\'s built-in CA (the default)',
  vault: 'HashiCorp Vault',
  'cert-manager': 'cert-manager',
};

async function provider(ctx: ReadinessContext, s: MeshSettings): Promise<ReadinessLine[]> {
  const { deployment, flags } = await controllerFlags(ctx.client, s, ctx.budgetMs);
  if (!deployment) return [];
  const words = providerWords[flags.provider];
  if (!words) return [fail('certificates/provider', `osm-controller runs with --certificate-manager=${flags.provider}, which OSM 1.2 does not know`, 'set the Helm value osm.certificateProvider.kind to tresor, vault or cert-manager')];
  const detail = flags.provider === 'vault' ? ` at ${flags.vault.protocol}://${flags.vault.host}:${flags.vault.port}`
    : flags.provider === 'cert-manager' ? ` (${flags.certManager.issuerKind} ${flags.certManager.issuerName}.${flags.certManager.issuerGroup})` : ` (root in Secret ${s.namespace}/${flags.caBundleSecret})`;
  return [ok('certificates/provider', `certificate provider: ${words}${detail}, trust domain ${flags.trustDomain}`)];
}

async function rootCa(ctx: ReadinessContext, s: MeshSettings): Promise<ReadinessLine[]> {
  const { deployment, flags } = await controllerFlags(ctx.client, s, ctx.budgetMs);
  if (!deployment) return [];
  const bundle = await caBundle(ctx.client, s.namespace, flags.caBundleSecret, ctx.budgetMs);
  if ('problem' in bundle) {
    return [flags.provider === 'tresor' && bundle.missing
      ? fail('certificates/root-ca', `${bundle.problem}: Tresor keeps its root there, so no workload certificate can be issued`, `osm-controller creates it when it starts: \`kubectl -n ${s.namespace} logs deploy/osm-controller\``)
      : warn('certificates/root-ca', bundle.problem, flags.provider === 'tresor' ? `\`kubectl -n ${s.namespace} get secret ${flags.caBundleSecret}\`` : `with ${flags.provider}, the root is where ${flags.provider} keeps it; check its validity there`)];
  }
  const roots = parseBundle(bundle.pem, bundle.source);
  return roots.map((cert, i) => {
    const v = rootValidityVerdict(cert, new Date());
    const id = roots.length > 1 ? `certificates/root-ca-${i + 1}` : 'certificates/root-ca';
    const text = `${v.text} (${bundle.source})`;
    if (v.status === 'ok') return ok(id, text);
    const hint = `rotate the root before it expires (OSM 1.2 docs, "Certificate Management"): every workload certificate chains to it`;
    return v.status === 'warn' ? warn(id, text, hint) : fail(id, text, `${hint}; until then no sidecar can establish mTLS`);
  });
}

/**
 * Vault's health (`GET /v1/sys/health`: 200 active, 429 standby, 472/473 performance or DR standby, 501 not
 * initialised, 503 sealed), through the API server's service proxy when the host is a cluster Service.
 */
async function vault(ctx: ReadinessContext, s: MeshSettings): Promise<ReadinessLine[]> {
  const { deployment, flags } = await controllerFlags(ctx.client, s, ctx.budgetMs);
  if (!deployment || flags.provider !== 'vault') return [];
  const { host, port, protocol } = flags.vault;
  const m = /^([a-z0-9-]+)\.([a-z0-9-]+)(\.svc(\.cluster\.local)?)?$/.exec(host);
  if (!m) {
    return [warn('certificates/vault', `Vault at ${protocol}://${host}:${port} is outside the cluster: the check cannot reach it through the API server`,
      `check it from a pod in the mesh: \`curl ${protocol}://${host}:${port}/v1/sys/health\``)];
  }
  const [, name = '', namespace = ''] = m;
  const svc = await ctx.client.read({ ...resourceTypes.service, namespace, name }, { budgetMs: ctx.budgetMs });
  if (!svc) return [fail('certificates/vault', `Vault Service ${namespace}/${name} (from --vault-host ${host}) not found: OSM cannot issue certificates`, 'deploy Vault, or point osm.vault.host at it')];
  const ready = await readyEndpoints(ctx.client, namespace, name, ctx.budgetMs);
  if (!ready) return [fail('certificates/vault', `Vault Service ${namespace}/${name} has no ready endpoint: OSM cannot issue certificates`, `\`kubectl -n ${namespace} get pods\` for the Vault pods`)];
  const res = await serviceProxyGet(ctx.client.kubeConfig, { namespace, service: name, port, tls: protocol === 'https' }, '/v1/sys/health', ctx.budgetMs);
  const words: Record<number, string> = { 200: 'initialised, unsealed and active', 429: 'unsealed and standby', 472: 'a disaster-recovery secondary', 473: 'a performance standby', 501: 'not initialised', 503: 'sealed' };
  if ('error' in res) return [fail('certificates/vault', `Vault ${namespace}/${name}:${port} did not answer /v1/sys/health: ${res.error}`, 'check Vault\'s logs')];
  const what = words[res.status] ?? `answered ${res.status}`;
  return res.status === 200 || res.status === 429 || res.status === 473
    ? [ok('certificates/vault', `Vault ${namespace}/${name}:${port} reachable: ${what}`)]
    : [fail('certificates/vault', `Vault ${namespace}/${name}:${port} is ${what}: OSM cannot issue certificates`, res.status === 503 ? '`vault operator unseal`' : 'initialise and unseal Vault')];
}

interface IssuerObject extends KubernetesObject {
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

/** The cert-manager issuer OSM signs with: its Ready condition (cert-manager.io/v1). */
async function certManager(ctx: ReadinessContext, s: MeshSettings): Promise<ReadinessLine[]> {
  const { deployment, flags } = await controllerFlags(ctx.client, s, ctx.budgetMs);
  if (!deployment || flags.provider !== 'cert-manager') return [];
  const { issuerName, issuerKind, issuerGroup } = flags.certManager;
  const cluster = issuerKind === 'ClusterIssuer';
  const what = `${issuerKind} ${cluster ? '' : `${s.namespace}/`}${issuerName}`;
  let issuer: IssuerObject | undefined;
  try {
    issuer = await ctx.client.read<IssuerObject>({ apiVersion: `${issuerGroup}/v1`, kind: issuerKind, name: issuerName, ...(cluster ? {} : { namespace: s.namespace }) }, { budgetMs: ctx.budgetMs });
  } catch (err) {
    if (err instanceof KubeApiError && err.code === 404) issuer = undefined;
    else if (/no matches for kind|not found/i.test(errorText(err))) return [fail('certificates/cert-manager', `${what}: cert-manager's CRDs are not installed`, 'install cert-manager (OSM 1.2 docs, "cert-manager")')];
    else throw err;
  }
  if (!issuer) return [fail('certificates/cert-manager', `${what} not found: OSM cannot issue certificates`, `create it (OSM docs: an ${issuerKind} named ${issuerName} backed by the CA Secret ${flags.caBundleSecret})`)];
  const ready = issuer.status?.conditions?.find((c) => c.type === 'Ready');
  if (ready?.status === 'True') return [ok('certificates/cert-manager', `${what} Ready`)];
  return [fail('certificates/cert-manager', `${what} not Ready (${ready ? `${ready.reason ?? ready.status}: ${ready.message ?? ''}` : 'no Ready condition'})`, `\`kubectl describe ${issuerKind.toLowerCase()} ${cluster ? '' : `-n ${s.namespace} `}${issuerName}\``)];
}

/** OSM's certificates category. */
export function osmCertificateCategory(s: MeshSettings): ReadinessCategory {
  const bind = (fn: (ctx: ReadinessContext, s: MeshSettings) => Promise<ReadinessLine[]>) => (ctx: ReadinessContext) => fn(ctx, s);
  return {
    id: 'certificates', title: 'Certificates', checkers: [
      { id: 'certificates/provider', description: 'the certificate provider osm-controller runs with', fatal: false, check: bind(provider) },
      { id: 'certificates/root-ca', description: 'the root CA\'s validity', fatal: false, check: bind(rootCa) },
      { id: 'certificates/vault', description: 'Vault, when it signs', fatal: false, check: bind(vault) },
      { id: 'certificates/cert-manager', description: 'the cert-manager issuer, when it signs', fatal: false, check: bind(certManager) },
    ],
  };
}
