/**
 * Istio's certificate management (istio.md §6, docs/certificates.md): which CA istiod signs with (a plug-in CA from the
 * Secret `cacerts`, on AKS synced from Azure Key Vault; otherwise its self-signed root in `istio-ca-secret`), the
 * validity of the root and of the signing certificate, `istio-ca-root-cert` in the namespaces where injection is on;
 * and what a workload certificate must look like: URI SAN `spiffe://<trust domain>/ns/<ns>/sa/<sa>`, signed by the root
 * in `istio-ca-root-cert`, valid for the agent's `SECRET_TTL` (24 h by default) from 2 minutes before signing
 * (`ClockSkewGracePeriod`, security/pkg/pki/util/generate_cert.go).
 */
import { placeholderRunNamespace } from '../../readiness/access-review.ts';
import type { V1ConfigMap, V1Namespace, V1Pod, V1Secret } from '@kubernetes/client-node';
import type { ConfiguredValidity, ExpectedIdentity, TrustAnchors, WorkloadCertificates } from '../../certificates/workload-certificates.ts';
import { distinguishedName, parseBundle, parseGoDuration, rootValidityVerdict } from '../../certificates/x509.ts';
import { KubeApiError } from '../../k8s/api-error.ts';
import type { KubeClient } from '../../k8s/kube-client.ts';
import { resourceTypes } from '../../k8s/resources.ts';
import { runLabelKeys } from '../../k8s/run-labels.ts';
import type { ReadinessCategory, ReadinessContext } from '../../readiness/readiness-registry.ts';
import type { ReadinessLine } from '../../readiness/readiness-result.ts';
import { fail, ok, warn } from '../../readiness/readiness-result.ts';
import type { MeshSettings } from '../mesh-profile.ts';
import { principal } from './keys.ts';

const secretType = { apiVersion: 'v1', kind: 'Secret' } as const;
const configMapType = { apiVersion: 'v1', kind: 'ConfigMap' } as const;
export const rootCertConfigMap = 'istio-ca-root-cert';
const defaultSecretTtl = '24h';
/** Istio's ClockSkewGracePeriod: a workload certificate is valid from 2 minutes before it was signed. */
const clockSkewGraceMs = 2 * 60_000;

type ReadResult<T> = { object: T | undefined } | { forbidden: string };

async function readGuarded<T extends V1Secret | V1ConfigMap>(client: KubeClient, type: { apiVersion: string; kind: string }, namespace: string, name: string, budgetMs: number): Promise<ReadResult<T>> {
  try {
    return { object: await client.read<T>({ ...type, namespace, name }, { budgetMs }) };
  } catch (err) {
    if (err instanceof KubeApiError && err.code === 403) return { forbidden: `${type.kind} ${namespace}/${name} cannot be read (forbidden): grant get on ${type.kind.toLowerCase()}s in ${namespace}` };
    throw err;
  }
}

const decode = (b64: string | undefined): string => (b64 ? Buffer.from(b64, 'base64').toString('utf8') : '');

/** Istio's workload certificates for the extended check `workload-identity`. */
export function istioWorkloadCertificates(): WorkloadCertificates {
  return {
    adminPort: 15000,
    reads: [{ verbs: ['get'], group: '', resource: 'configmaps', namespace: placeholderRunNamespace, why: 'read the root istiod publishes (istio-ca-root-cert) for the extended check workload-identity' }],
    // pilot-agent's SDS names the workload certificate `default` and the trust bundle `ROOTCA` (istio.md §6).
    secretName: () => 'default',
    identity: (namespace, serviceAccount): ExpectedIdentity => ({
      sanType: 'URI', value: principal(namespace, serviceAccount).spiffe, source: 'Istio workload identity: URI SAN spiffe://<trust domain>/ns/<namespace>/sa/<service account> (istio.md §6)',
    }),
    async trustAnchors(client, namespace, budgetMs): Promise<TrustAnchors> {
      const read = await readGuarded<V1ConfigMap>(client, configMapType, namespace, rootCertConfigMap, budgetMs);
      if ('forbidden' in read) return { problem: read.forbidden };
      const pem = read.object?.data?.['root-cert.pem'];
      if (!read.object) return { problem: `ConfigMap ${namespace}/${rootCertConfigMap} not found: istiod publishes the root there in every namespace` };
      if (!pem) return { problem: `ConfigMap ${namespace}/${rootCertConfigMap} has no key root-cert.pem` };
      return { source: `ConfigMap ${namespace}/${rootCertConfigMap} key root-cert.pem`, pem };
    },
    validity(_client, pod: V1Pod): Promise<ConfiguredValidity> {
      const proxy = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find((c) => c.name === 'istio-proxy');
      const env = proxy?.env?.find((e) => e.name === 'SECRET_TTL')?.value;
      const text = env ?? defaultSecretTtl;
      const durationMs = parseGoDuration(text);
      if (durationMs === undefined) return Promise.reject(new Error(`istio-proxy env SECRET_TTL=${text} is not a duration`));
      return Promise.resolve({
        durationMs, backdateMs: clockSkewGraceMs,
        source: env ? `istio-proxy env SECRET_TTL=${env}` : 'pilot-agent\'s default SECRET_TTL=24h (DEFAULT_WORKLOAD_CERT_TTL)',
      });
    },
  };
}

/** Which CA istiod signs with: the plug-in CA (`cacerts`) or its self-signed root (`istio-ca-secret`). */
async function caSource(ctx: ReadinessContext, s: MeshSettings): Promise<{ kind: 'plug-in' | 'self-signed'; secret: V1Secret } | { problem: ReadinessLine } | undefined> {
  const plug = await readGuarded<V1Secret>(ctx.client, secretType, s.namespace, 'cacerts', ctx.budgetMs);
  if ('forbidden' in plug) return { problem: warn('certificates/provider', plug.forbidden, 'the check reads istiod\'s CA Secrets (cacerts, istio-ca-secret) to report the root\'s validity') };
  if (plug.object) return { kind: 'plug-in', secret: plug.object };
  const self = await readGuarded<V1Secret>(ctx.client, secretType, s.namespace, 'istio-ca-secret', ctx.budgetMs);
  if ('forbidden' in self) return { problem: warn('certificates/provider', self.forbidden, 'the check reads istiod\'s CA Secrets (cacerts, istio-ca-secret) to report the root\'s validity') };
  return self.object ? { kind: 'self-signed', secret: self.object } : undefined;
}

async function provider(ctx: ReadinessContext, s: MeshSettings): Promise<ReadinessLine[]> {
  const src = await caSource(ctx, s);
  if (!src) {
    return [fail('certificates/provider', `neither Secret ${s.namespace}/cacerts (plug-in CA) nor ${s.namespace}/istio-ca-secret (self-signed CA) exists: istiod has not set up its CA`,
      `istiod writes istio-ca-secret when it starts: \`kubectl -n ${s.namespace} logs deploy/${s.revision ? `istiod-${s.revision}` : 'istiod'}\``)];
  }
  if ('problem' in src) return [src.problem];
  if (src.kind === 'self-signed') return [ok('certificates/provider', `istiod's self-signed CA (Secret ${s.namespace}/istio-ca-secret)`)];
  const fromKeyVault = ctx.target === 'aks' ? ', synced from Azure Key Vault by the Key Vault Secrets Provider (`az aks mesh enable --key-vault-id …`)' : '';
  return [ok('certificates/provider', `plug-in CA (Secret ${s.namespace}/cacerts${fromKeyVault})`)];
}

async function rootCa(ctx: ReadinessContext, s: MeshSettings): Promise<ReadinessLine[]> {
  const src = await caSource(ctx, s);
  if (!src || 'problem' in src) return [];
  const data = src.secret.data ?? {};
  const where = `Secret ${s.namespace}/${src.secret.metadata?.name ?? ''}`;
  // Plug-in: root-cert.pem (possibly two roots during a rotation) and the signing ca-cert.pem; self-signed: ca-cert.pem is the root.
  const parts: { id: string; label: string; pem: string }[] = src.kind === 'plug-in'
    ? [{ id: 'certificates/root-ca', label: 'root-cert.pem', pem: decode(data['root-cert.pem']) }, { id: 'certificates/signing-ca', label: 'ca-cert.pem', pem: decode(data['ca-cert.pem']) }]
    : [{ id: 'certificates/root-ca', label: 'ca-cert.pem', pem: decode(data['ca-cert.pem']) }];
  const lines: ReadinessLine[] = [];
  for (const part of parts) {
    if (!part.pem) {
      lines.push(fail(part.id, `${where} has no ${part.label}`, src.kind === 'plug-in' ? 'cacerts needs ca-cert.pem, ca-key.pem, cert-chain.pem and root-cert.pem (istio.md §6)' : 'istiod regenerates it when deleted: restart istiod'));
      continue;
    }
    const certs = parseBundle(part.pem, `${where} ${part.label}`);
    certs.forEach((cert, i) => {
      const v = rootValidityVerdict(cert, new Date());
      const id = certs.length > 1 ? `${part.id}-${i + 1}` : part.id;
      const text = `${part.id.endsWith('signing-ca') ? v.text.replace(/^root CA/, 'signing CA') : v.text} (${where} ${part.label})`;
      const hint = src.kind === 'plug-in'
        ? (ctx.target === 'aks' ? 'rotate it in Azure Key Vault (AKS docs, istio-plugin-ca: "Certificate authority rotation")' : 'rotate the plug-in CA (Istio docs, "Plug in CA certificates")')
        : 'istiod\'s self-signed root is valid 10 years; to replace it, plug in a CA (Istio docs, "Plug in CA certificates")';
      lines.push(v.status === 'ok' ? ok(id, text) : v.status === 'warn' ? warn(id, text, hint) : fail(id, text, hint));
    });
  }
  return lines;
}

/** `istio-ca-root-cert` in every namespace where injection is on, holding the CA's root. */
async function rootCertConfigMaps(ctx: ReadinessContext, s: MeshSettings): Promise<ReadinessLine[]> {
  const namespaces = (await ctx.client.list<V1Namespace>(resourceTypes.namespace, {}, { budgetMs: ctx.budgetMs })).items
    .filter((ns) => !ns.metadata?.labels?.[runLabelKeys.runId] && ctx.mesh.onboarding.injectionEnabled(ns)).map((ns) => ns.metadata?.name ?? '?');
  const names = [s.namespace, ...namespaces.filter((n) => n !== s.namespace)];
  const missing: string[] = [];
  for (const ns of names) {
    const read = await readGuarded<V1ConfigMap>(ctx.client, configMapType, ns, rootCertConfigMap, ctx.budgetMs);
    if ('forbidden' in read) return [warn('certificates/root-cert-configmap', read.forbidden, 'the check reads it to see that workloads can verify their peers')];
    if (!read.object?.data?.['root-cert.pem']) missing.push(ns);
  }
  if (missing.length) {
    return [fail('certificates/root-cert-configmap', `ConfigMap ${rootCertConfigMap} missing (or without root-cert.pem) in ${missing.join(', ')}: proxies there cannot verify their peers`,
      `istiod's namespace controller writes it into every namespace: check \`kubectl -n ${s.namespace} logs deploy/${s.revision ? `istiod-${s.revision}` : 'istiod'}\``)];
  }
  const published = await readGuarded<V1ConfigMap>(ctx.client, configMapType, s.namespace, rootCertConfigMap, ctx.budgetMs);
  const root = 'object' in published ? published.object?.data?.['root-cert.pem'] : undefined;
  const subject = root ? parseBundle(root, rootCertConfigMap).map((c) => distinguishedName(c.subject)).join(' + ') : '?';
  return [ok('certificates/root-cert-configmap', `ConfigMap ${rootCertConfigMap} (root ${subject}) present in ${names.length} namespace${names.length === 1 ? '' : 's'}: ${names.join(', ')}`)];
}

/** Istio's certificates category. */
export function istioCertificateCategory(s: MeshSettings): ReadinessCategory {
  const bind = (fn: (ctx: ReadinessContext, s: MeshSettings) => Promise<ReadinessLine[]>) => (ctx: ReadinessContext) => fn(ctx, s);
  return {
    id: 'certificates', title: 'Certificates', checkers: [
      { id: 'certificates/provider', description: 'the CA istiod signs with', fatal: false, check: bind(provider) },
      { id: 'certificates/root-ca', description: 'the root and signing CA\'s validity', fatal: false, check: bind(rootCa) },
      { id: 'certificates/root-cert-configmap', description: `${rootCertConfigMap} in the namespaces where injection is on`, fatal: false, check: bind(rootCertConfigMaps) },
    ],
  };
}
