/**
 * Istio's readiness categories (istio.md §1, §2.3, §7): istiod of the revision and its version against the
 * Kubernetes versions it supports, the data-plane mode (native or classic sidecars, CNI), the revisioned injector
 * webhook, revision tags, namespaces that name a revision that is not installed or use the label the install ignores,
 * and the Gateway API when the ingress does not check it itself. Fatal checkers are what pre-flight runs.
 */
import type { KubernetesObject, V1Condition, V1DaemonSet, V1Deployment, V1MutatingWebhookConfiguration, V1Namespace, V1Node } from '@kubernetes/client-node';
import { resourceTypes } from '../../k8s/resources.ts';
import { crdLine, deploymentLine, deploymentVersion, kubernetesRangeLine, parseKubeVersion, versionBefore, webhookLine } from '../../readiness/probes.ts';
import type { ReadinessCategory, ReadinessContext } from '../../readiness/readiness-registry.ts';
import type { ReadinessLine } from '../../readiness/readiness-result.ts';
import { fail, ok, warn } from '../../readiness/readiness-result.ts';
import type { MeshSettings } from '../mesh-profile.ts';
import { istioCertificateCategory } from './certificates.ts';
import { istiodName, istioKeys, istioMinor, supportedKubernetes } from './keys.ts';

interface GatewayClass extends KubernetesObject {
  status?: { conditions?: V1Condition[] };
}

const types = {
  mwc: { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration' },
  daemonSet: { apiVersion: 'apps/v1', kind: 'DaemonSet' },
  node: { apiVersion: 'v1', kind: 'Node' },
  gatewayClass: { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'GatewayClass' },
} as const;

/** The CNI node agents: upstream's and the AKS add-on's (istio.md §7). */
const cniDaemonSets = ['istio-cni-node', 'azure-service-mesh-istio-cni-addon-node'] as const;

export function istioInstallHint(s: MeshSettings): string {
  return s.target === 'aks'
    ? 'enable the Istio add-on: `az aks mesh enable --revision <asm-X-Y>` (`az aks mesh get-revisions` lists them), or `node scripts/aks-up.mjs --mesh istio`'
    : 'install Istio: `node scripts/kind-up.mjs --mesh istio` (Helm, revisioned, as on AKS)';
}

/** The revisions installed: istiod Deployments' `istio.io/rev` labels, anywhere. */
export async function installedRevisions(ctx: ReadinessContext): Promise<{ revision: string; namespace: string; name: string }[]> {
  const all = (await ctx.client.list<V1Deployment>(resourceTypes.deployment, { labelSelector: 'app=istiod' }, { budgetMs: ctx.budgetMs })).items;
  return all.map((d) => ({ revision: d.metadata?.labels?.[istioKeys.rev] ?? 'default', namespace: d.metadata?.namespace ?? '', name: d.metadata?.name ?? '' }));
}

async function istiod(ctx: ReadinessContext, s: MeshSettings): Promise<ReadinessLine[]> {
  const name = istiodName(s.revision);
  const { line, deployment } = await deploymentLine(ctx.client, { id: `control-plane/${name}`, namespace: s.namespace, name, installHint: istioInstallHint(s), role: 'injection, configuration and certificates' }, ctx.budgetMs);
  if (deployment) return [line];
  const elsewhere = (await installedRevisions(ctx)).filter((r) => r.namespace !== s.namespace || r.revision !== (s.revision ?? 'default'));
  return [fail(`control-plane/${name}`, `istiod of ${s.revision ? `revision ${s.revision}` : 'the default revision'} not found in namespace ${s.namespace}`,
    elsewhere.length ? `installed: ${elsewhere.map((r) => `revision ${r.revision} (${r.namespace}/${r.name})`).join(', ')}: pass --mesh-revision and --mesh-namespace to match` : istioInstallHint(s))];
}

async function version(ctx: ReadinessContext, s: MeshSettings): Promise<ReadinessLine[]> {
  const d = await ctx.client.read<V1Deployment>({ ...resourceTypes.deployment, namespace: s.namespace, name: istiodName(s.revision) }, { budgetMs: ctx.budgetMs });
  if (!d) return [];
  const v = deploymentVersion(d);
  const minor = v ? istioMinor(v) : s.revision ? istioMinor(s.revision) : undefined;
  const range = minor ? supportedKubernetes[minor] : undefined;
  const lines = [v ? ok('control-plane/version', `Istio ${v}`) : warn('control-plane/version', 'Istio version unknown (no version label, no image tag)', 'check `istioctl version`')];
  lines.push(range
    ? kubernetesRangeLine('control-plane/kubernetes', ctx.serverVersion, { ...range, what: `Istio ${minor ?? ''}` })
    : warn('control-plane/kubernetes', `Kubernetes ${ctx.serverVersion}; the supported range of Istio ${minor ?? v ?? '?'} is not known to this tool`, 'the Istio profile is written for Istio 1.29–1.31 (istio.md §8)'));
  return lines;
}

/** ENABLE_NATIVE_SIDECARS ("auto": native when the node's kubelet is 1.33 or later, §2.3) and the CNI node agent. */
async function dataPlane(ctx: ReadinessContext, s: MeshSettings): Promise<ReadinessLine[]> {
  const d = await ctx.client.read<V1Deployment>({ ...resourceTypes.deployment, namespace: s.namespace, name: istiodName(s.revision) }, { budgetMs: ctx.budgetMs });
  if (!d) return [];
  const setting = d.spec?.template.spec?.containers[0]?.env?.find((e) => e.name === 'ENABLE_NATIVE_SIDECARS')?.value ?? 'auto';
  const nodes = (await ctx.client.list<V1Node>(types.node, {}, { budgetMs: ctx.budgetMs })).items;
  const kubelets = nodes.map((n) => n.status?.nodeInfo?.kubeletVersion ?? '').filter(Boolean);
  const native = setting === 'true' || (setting === 'auto' && kubelets.length > 0 && kubelets.every((k) => { const p = parseKubeVersion(k); return p !== undefined && !versionBefore(p, [1, 33, 0]); }));
  const lines = [ok('data-plane/sidecars', `sidecars: ${native ? 'native (init containers with restartPolicy: Always)' : 'classic (containers)'} (ENABLE_NATIVE_SIDECARS=${setting}${setting === 'auto' ? `, kubelets ${[...new Set(kubelets)].join(', ') || 'unknown'}` : ''})`)];
  const cni = (await Promise.all(cniDaemonSets.map((name) => ctx.client.list<V1DaemonSet>(types.daemonSet, { fieldSelector: `metadata.name=${name}` }, { budgetMs: ctx.budgetMs })))).flatMap((l) => l.items);
  if (!cni.length) lines.push(ok('data-plane/cni', 'CNI: off (pods get the istio-init init container, which needs NET_ADMIN and NET_RAW)'));
  for (const ds of cni) {
    const want = ds.status?.desiredNumberScheduled ?? 0;
    const ready = ds.status?.numberReady ?? 0;
    const text = `CNI: DaemonSet ${ds.metadata?.namespace ?? ''}/${ds.metadata?.name ?? ''} ${ready}/${want} ready`;
    lines.push(ready >= want && want > 0 ? ok('data-plane/cni', text) : fail('data-plane/cni', text, `pods on nodes without a ready CNI agent fail their istio-validation init container: \`kubectl -n ${ds.metadata?.namespace ?? ''} describe ds/${ds.metadata?.name ?? ''}\``));
  }
  return lines;
}

async function injector(ctx: ReadinessContext, s: MeshSettings): Promise<ReadinessLine[]> {
  const rev = s.revision ?? 'default';
  return [await webhookLine(ctx.client, {
    id: 'injection/webhook', kind: 'MutatingWebhookConfiguration', service: { namespace: s.namespace, name: istiodName(s.revision) },
    matches: (c) => (c.metadata?.labels?.[istioKeys.rev] ?? 'default') === rev,
    absent: (id, text) => fail(id, `${text} for revision ${rev}: pods get no sidecar`, `istiod of the revision installs it (Helm chart istiod, \`revision=${rev}\`); ${istioInstallHint(s)}`),
    noBackend: 'pod creation in onboarded namespaces is refused (failurePolicy Fail)',
    backendHint: `\`kubectl -n ${s.namespace} get pods -l app=istiod\` and their events`,
  }, ctx.budgetMs)];
}

/** Revision tags (MWCs labelled istio.io/tag) and whether a default revision or tag makes istio-injection=enabled work. */
async function tags(ctx: ReadinessContext): Promise<ReadinessLine[]> {
  const tagged = (await ctx.client.list<V1MutatingWebhookConfiguration>(types.mwc, { labelSelector: istioKeys.tag }, { budgetMs: ctx.budgetMs })).items;
  if (!tagged.length) return [ok('injection/tags', 'no revision tags (namespaces select a revision with istio.io/rev=<revision>)')];
  return tagged.map((m) => ok(`injection/tags/${m.metadata?.labels?.[istioKeys.tag] ?? '?'}`, `revision tag ${m.metadata?.labels?.[istioKeys.tag] ?? '?'} → revision ${m.metadata?.labels?.[istioKeys.rev] ?? '?'} (${m.metadata?.name ?? ''})`));
}

/** Namespaces naming a revision (or tag) that is not installed; `istio-injection` where nothing honours it. */
async function namespaces(ctx: ReadinessContext, s: MeshSettings): Promise<ReadinessLine[]> {
  const revisions = new Set((await installedRevisions(ctx)).map((r) => r.revision));
  const tagged = (await ctx.client.list<V1MutatingWebhookConfiguration>(types.mwc, { labelSelector: istioKeys.tag }, { budgetMs: ctx.budgetMs })).items;
  const tagNames = new Set(tagged.map((m) => m.metadata?.labels?.[istioKeys.tag] ?? ''));
  const legacyHonoured = revisions.has('default') || tagNames.has('default');
  const all = (await ctx.client.list<V1Namespace>(resourceTypes.namespace, {}, { budgetMs: ctx.budgetMs })).items.filter((ns) => !ns.metadata?.labels?.['mesh-conformance.io/run-id']);
  const lines: ReadinessLine[] = [];
  for (const ns of all) {
    const name = ns.metadata?.name ?? '?';
    const labels = ns.metadata?.labels ?? {};
    const rev = labels[istioKeys.rev];
    const legacy = labels[istioKeys.injection];
    if (legacy === 'enabled' && !legacyHonoured) {
      const line = `${name}: istio-injection=enabled, which no installed revision honours (there is no default revision or default tag)`;
      const hint = `label it \`kubectl label namespace ${name} istio-injection- ${istioKeys.rev}=${s.revision ?? '<revision>'}\`, then restart its pods`;
      lines.push(s.target === 'aks' ? fail(`namespaces/${name}`, `${line}: the AKS add-on ignores it, so its pods get no sidecar`, hint) : warn(`namespaces/${name}`, `${line}: its pods get no sidecar`, hint));
    } else if (legacy === 'enabled') {
      lines.push(ok(`namespaces/${name}`, `${name}: istio-injection=enabled (default revision or tag)`));
    } else if (rev !== undefined) {
      lines.push(revisions.has(rev) || tagNames.has(rev)
        ? ok(`namespaces/${name}`, `${name}: ${istioKeys.rev}=${rev}`)
        : fail(`namespaces/${name}`, `${name}: ${istioKeys.rev}=${rev} names a revision that is not installed (installed: ${[...revisions, ...[...tagNames].map((t) => `tag ${t}`)].join(', ') || 'none'}): its pods get no sidecar`,
          `relabel it to an installed revision: \`kubectl label namespace ${name} ${istioKeys.rev}=${s.revision ?? '<revision>'} --overwrite\`, then restart its pods`));
    }
  }
  return lines.length ? lines : [ok('namespaces/none', 'no namespace is in the mesh yet')];
}

/** The Gateway API CRDs and the `istio` GatewayClass, when the ingress profile does not check them itself. */
async function gatewayApi(ctx: ReadinessContext): Promise<ReadinessLine[]> {
  if (ctx.ingress?.name === 'gateway-api') return [];
  const crds = await Promise.all(['gateways', 'httproutes', 'gatewayclasses'].map((p) => crdLine(ctx.client, {
    id: `gateway-api/${p}`, name: `${p}.gateway.networking.k8s.io`, version: 'v1',
    installHint: 'not needed by this run\'s ingress; for Gateway API ingress install the standard CRDs (`node scripts/kind-up.mjs --mesh istio`; AKS: `az aks update --enable-gateway-api`)',
    versionHint: 'upgrade the Gateway API CRDs to a bundle that serves v1',
  }, ctx.budgetMs)));
  const cls = await ctx.client.read<GatewayClass>({ ...types.gatewayClass, name: 'istio' }, { budgetMs: ctx.budgetMs }).catch(() => undefined);
  const accepted = cls?.status?.conditions?.find((c) => c.type === 'Accepted');
  const lines = crds.map((l) => (l.status === 'fail' ? { ...l, status: 'warn' as const } : l));
  lines.push(accepted?.status === 'True' ? ok('gateway-api/class', 'GatewayClass istio is Accepted') : warn('gateway-api/class', `GatewayClass istio is ${cls ? `not Accepted (${accepted?.reason ?? 'no condition'})` : 'absent'}`, 'istiod creates it when the Gateway API CRDs are installed before it starts'));
  return lines;
}

/** Istio's categories, in report order. */
export function istioReadiness(s: MeshSettings): ReadinessCategory[] {
  const bind = (fn: (ctx: ReadinessContext, s: MeshSettings) => Promise<ReadinessLine[]>) => (ctx: ReadinessContext) => fn(ctx, s);
  return [
    {
      id: 'control-plane', title: `Istio control plane (${s.revision ? `revision ${s.revision}, ` : ''}${s.namespace})`, checkers: [
        { id: 'control-plane/istiod', description: `istiod in ${s.namespace}`, fatal: true, check: bind(istiod) },
        { id: 'control-plane/version', description: 'the Istio and Kubernetes versions', fatal: false, check: bind(version) },
        { id: 'data-plane', description: 'the data-plane mode (native or classic sidecars, CNI)', fatal: false, check: bind(dataPlane) },
      ],
    },
    {
      id: 'injection', title: 'Sidecar injection', checkers: [
        { id: 'injection/webhook', description: 'the revision\'s injector webhook', fatal: true, check: bind(injector) },
        { id: 'injection/tags', description: 'revision tags', fatal: false, check: tags },
        { id: 'namespaces', description: 'namespaces and the revision they name', fatal: false, check: bind(namespaces) },
      ],
    },
    { id: 'gateway-api', title: 'Gateway API', checkers: [{ id: 'gateway-api', description: 'the Gateway API CRDs and GatewayClass', fatal: false, check: gatewayApi }] },
    istioCertificateCategory(s),
  ];
}
