/**
 * OSM's readiness categories (osm.md §2, §3, §7): the control plane Deployments, its CRDs and admission webhooks,
 * the MeshConfig settings the suite depends on, and the namespaces in the mesh. Fatal checkers are what pre-flight
 * runs before a real-cluster run writes anything.
 */
import type { KubernetesObject, V1Deployment, V1Endpoints, V1Namespace, V1Service } from '@kubernetes/client-node';
import { resourceTypes } from '../../k8s/resources.ts';
import { runLabelKeys } from '../../k8s/run-labels.ts';
import type { ReadinessCategory, ReadinessContext } from '../../readiness/readiness-registry.ts';
import type { ReadinessLine } from '../../readiness/readiness-result.ts';
import { fail, ok, warn } from '../../readiness/readiness-result.ts';
import { crdLine, deploymentLine, deploymentVersion, kubernetesRangeLine, webhookLine } from '../../readiness/probes.ts';
import type { MeshSettings } from '../mesh-profile.ts';
import { isDisabled, isEnabled, meshConfigName, osmCrds, osmDeployments, osmKeys } from './keys.ts';
import { osmMetrics } from './metrics.ts';
import { osmCertificateCategory } from './certificates.ts';

interface MeshConfigObject extends KubernetesObject {
  spec?: {
    traffic?: { enablePermissiveTrafficPolicyMode?: boolean; inboundExternalAuthorization?: ExternalAuthorization };
    featureFlags?: { enableIngressBackendPolicy?: boolean };
  };
}

/** MeshConfig `spec.traffic.inboundExternalAuthorization` (osm.md; OSM's ext_authz filter on every inbound listener). */
interface ExternalAuthorization {
  enable?: boolean;
  address?: string;
  port?: number;
  statPrefix?: string;
  timeout?: string;
  failureModeAllow?: boolean;
}

const endpointsType = { apiVersion: 'v1', kind: 'Endpoints', plural: 'endpoints', namespaced: true } as const;

/** `opa.opa.svc.cluster.local`, `opa.opa.svc`, `opa.opa` → the Service; undefined for an IP or a name outside the cluster. */
export function serviceOfAddress(address: string): { namespace: string; name: string } | undefined {
  const parts = address.toLowerCase().split('.');
  const [name, namespace, svc, ...rest] = parts;
  if (!name || !namespace || /^\d+$/.test(name)) return undefined;
  if (parts.length === 2 || (svc === 'svc' && (rest.length === 0 || rest.join('.') === 'cluster.local'))) return { namespace, name };
  return undefined;
}

/**
 * External authorization as the MeshConfig sets it (§5 of the guide: OPA): its settings; whether the service it names
 * answers, as far as the API tells (the Service, its port, ready endpoints); a warning when `failureModeAllow` lets
 * every request through while the service is down.
 */
async function externalAuthorizationLines(ctx: ReadinessContext, ext: ExternalAuthorization | undefined, patch: (json: string) => string): Promise<ReadinessLine[]> {
  const id = 'mesh-config/external-authorization';
  if (!ext?.enable) return [ok(id, 'inbound external authorization: off')];
  const address = ext.address ?? '';
  const port = ext.port ?? 0;
  const failOpen = ext.failureModeAllow === true;
  const lines = [ok(id, `inbound external authorization: on (${address || '<no address>'}:${port}, timeout ${ext.timeout ?? 'unset'}, failureModeAllow ${String(failOpen)}): sidecars ask it about every inbound request`)];
  const off = `to turn it off: ${patch('{"spec":{"traffic":{"inboundExternalAuthorization":{"enable":false}}}}')}`;
  const consequence = failOpen ? 'every inbound request is let through unchecked (failureModeAllow: true)' : 'every inbound request is denied, the ingress check\'s too';
  const svcId = `${id}/service`;
  const svcRef = serviceOfAddress(address);
  if (!address || !port) {
    lines.push(fail(svcId, `inbound external authorization names no ${address ? 'port' : 'address'}: ${consequence}`, `set spec.traffic.inboundExternalAuthorization.address and port to the authorization service (OPA's Envoy plugin listens on gRPC 9191), or ${off}`));
  } else if (!svcRef) {
    lines.push(warn(svcId, `the authorization service ${address}:${port} is not a Service of this cluster: check cannot tell whether it answers`, `make sure the sidecars reach ${address}:${port}; if it does not answer, ${consequence}`));
  } else {
    const svc = await ctx.client.read<V1Service>({ ...resourceTypes.service, ...svcRef }, { budgetMs: ctx.budgetMs });
    const served = svc?.spec?.ports?.some((p) => p.port === port);
    const endpoints = svc && served ? await ctx.client.read<V1Endpoints>({ ...endpointsType, ...svcRef }, { budgetMs: ctx.budgetMs }) : undefined;
    const ready = (endpoints?.subsets ?? []).reduce((n, s) => n + (s.addresses?.length ?? 0), 0);
    const where = `Service ${svcRef.namespace}/${svcRef.name}`;
    if (!svc) lines.push(fail(svcId, `the authorization service ${address}:${port} does not answer: ${where} not found, so ${consequence}`, `deploy it (OPA with its Envoy plugin serves gRPC on 9191), or ${off}`));
    else if (!served) lines.push(fail(svcId, `the authorization service ${address}:${port} does not answer: ${where} has no port ${port} (ports ${(svc.spec?.ports ?? []).map((p) => p.port).join(', ') || 'none'}), so ${consequence}`, `point spec.traffic.inboundExternalAuthorization.port at the Service's port, or ${off}`));
    else if (ready === 0) lines.push(fail(svcId, `the authorization service ${address}:${port} does not answer: ${where} has no ready endpoints, so ${consequence}`, `start its pods (kubectl -n ${svcRef.namespace} get pods), or ${off}`));
    else lines.push(ok(svcId, `the authorization service ${where} serves port ${port} with ${ready} ready endpoint${ready === 1 ? '' : 's'}`));
  }
  if (failOpen) {
    lines.push(warn(`${id}/failure-mode-allow`, 'inbound external authorization: failureModeAllow is true: while the authorization service is down or slow, the sidecars let every request through unchecked',
      `unless fail-open is intended, ${patch('{"spec":{"traffic":{"inboundExternalAuthorization":{"failureModeAllow":false}}}}')}`));
  }
  return lines;
}

/** The lowest Kubernetes version the OSM 1.2 chart accepts (`kubeVersion: ">= 1.22.9-0"`, osm.md §7). */
export const minimumKubernetes = [1, 22, 9] as const;

function installHint(s: MeshSettings): string {
  return s.target === 'aks'
    ? 'enable the OSM add-on: `az aks enable-addons --addons open-service-mesh -g <group> -n <cluster>` (or `node scripts/aks-up.mjs`); the add-on runs in kube-system'
    : 'install OSM: `node scripts/kind-up.mjs`, or `osm install --mesh-name osm --osm-namespace osm-system --set osm.deployPrometheus=true`';
}

/** The three Deployments (one line each), or one line saying OSM is not in this namespace and where it is instead. */
async function deployments(ctx: ReadinessContext, s: MeshSettings): Promise<ReadinessLine[]> {
  const results = await Promise.all(osmDeployments.map((name) =>
    deploymentLine(ctx.client, { id: `control-plane/${name}`, namespace: s.namespace, name, installHint: installHint(s) }, ctx.budgetMs)));
  if (results.some((r) => r.deployment)) return results.map((r) => r.line);
  // A common slip: OSM runs, but in another namespace (kube-system on AKS, osm-system when self-installed).
  const elsewhere = await ctx.client.list<V1Deployment>(resourceTypes.deployment, { labelSelector: 'app=osm-controller' }, { budgetMs: ctx.budgetMs })
    .then((l) => [...new Set(l.items.map((d) => d.metadata?.namespace).filter((n): n is string => !!n && n !== s.namespace))], () => []);
  return [fail('control-plane/namespace', `OSM control plane not found in namespace ${s.namespace}: no Deployment ${osmDeployments.join(', ')}`,
    elsewhere.length ? `osm-controller runs in namespace ${elsewhere.join(', ')}: set meshNamespace: ${elsewhere[0] ?? ''} (config file, or --mesh-namespace)` : installHint(s))];
}

/** The mesh osm-controller runs must be the configured one, or the run onboards namespaces into a mesh that does not exist. */
async function meshName(ctx: ReadinessContext, s: MeshSettings): Promise<ReadinessLine[]> {
  const d = await ctx.client.read<V1Deployment>({ ...resourceTypes.deployment, namespace: s.namespace, name: 'osm-controller' }, { budgetMs: ctx.budgetMs });
  const running = d?.metadata?.labels?.meshName;
  if (!running) return [];
  return running === s.meshName
    ? [ok('control-plane/mesh-name', `mesh name ${running}`)]
    : [fail('control-plane/mesh-name', `osm-controller in ${s.namespace} runs mesh "${running}", but the configuration says meshName "${s.meshName}"`, `set meshName: ${running} (config file or --mesh-name)`)];
}

async function version(ctx: ReadinessContext, s: MeshSettings): Promise<ReadinessLine[]> {
  const d = await ctx.client.read<V1Deployment>({ ...resourceTypes.deployment, namespace: s.namespace, name: 'osm-controller' }, { budgetMs: ctx.budgetMs });
  const lines = [kubernetesRangeLine('control-plane/kubernetes', ctx.serverVersion, { min: minimumKubernetes, what: 'OSM 1.2' })];
  if (!d) return lines;
  const v = deploymentVersion(d);
  if (!v) lines.push(warn('control-plane/version', 'OSM version unknown (no app.kubernetes.io/version label, no image tag)', 'the suite is written for OSM 1.2; check `osm version`'));
  else if (!/^v?1\.2\./.test(v)) lines.push(warn('control-plane/version', `OSM ${v}`, 'the suite\'s OSM profile is written for OSM 1.2 (osm.md); results on other versions may differ'));
  else lines.push(ok('control-plane/version', `OSM ${v}`));
  return lines;
}

async function crds(ctx: ReadinessContext, s: MeshSettings): Promise<ReadinessLine[]> {
  return Promise.all(Object.entries(osmCrds).map(([name, v]) => crdLine(ctx.client, {
    id: `crds/${name}`, name, version: v,
    installHint: `OSM's CRDs are installed by osm-bootstrap; ${installHint(s)}`,
    versionHint: 'the suite uses OSM 1.2\'s API versions; upgrade or reinstall OSM 1.2',
  }, ctx.budgetMs)));
}

async function injectorWebhook(ctx: ReadinessContext, s: MeshSettings): Promise<ReadinessLine[]> {
  const expected = `${s.target === 'aks' ? 'aks-osm-webhook-' : 'osm-webhook-'}${s.meshName}`;
  return [await webhookLine(ctx.client, {
    id: 'webhooks/injector', kind: 'MutatingWebhookConfiguration', service: { namespace: s.namespace, name: 'osm-injector' },
    absent: (id, text) => fail(id, `${text} (expected ${expected}), so pods would get no sidecar`, `osm-injector creates it when it starts: check \`kubectl -n ${s.namespace} logs deploy/osm-injector\`; ${installHint(s)}`),
    noBackend: 'pod creation in monitored namespaces is refused (failurePolicy Fail)',
    backendHint: `\`kubectl -n ${s.namespace} get pods -l app=osm-injector\` and their events`,
  }, ctx.budgetMs)];
}

async function validatorWebhook(ctx: ReadinessContext, s: MeshSettings): Promise<ReadinessLine[]> {
  return [await webhookLine(ctx.client, {
    id: 'webhooks/validator', kind: 'ValidatingWebhookConfiguration', service: { namespace: s.namespace, name: 'osm-validator' },
    absent: (id, text) => warn(id, `${text}: IngressBackends are not validated`, `osm-controller publishes it when it runs: \`kubectl -n ${s.namespace} logs deploy/osm-controller\``),
    noBackend: 'IngressBackend writes are refused',
    backendHint: `osm-controller serves the validator: \`kubectl -n ${s.namespace} get pods -l app=osm-controller\``,
  }, ctx.budgetMs)];
}

async function readMeshConfig(ctx: ReadinessContext, s: MeshSettings): Promise<MeshConfigObject | undefined> {
  return ctx.client.read<MeshConfigObject>({ apiVersion: 'config.openservicemesh.io/v1alpha2', kind: 'MeshConfig', namespace: s.namespace, name: meshConfigName }, { budgetMs: ctx.budgetMs });
}

async function meshConfigExists(ctx: ReadinessContext, s: MeshSettings): Promise<ReadinessLine[]> {
  return [(await readMeshConfig(ctx, s))
    ? ok('mesh-config/exists', `MeshConfig ${s.namespace}/${meshConfigName}`)
    : fail('mesh-config/exists', `MeshConfig ${s.namespace}/${meshConfigName} not found`, `osm-bootstrap creates it from ConfigMap preset-mesh-config; check \`kubectl -n ${s.namespace} logs deploy/osm-bootstrap\`, or set meshNamespace to where OSM runs`)];
}

/** The MeshConfig settings the suite depends on: permissive mode, the IngressBackend policy flag, external authorization. */
async function meshConfigSettings(ctx: ReadinessContext, s: MeshSettings): Promise<ReadinessLine[]> {
  const mc = await readMeshConfig(ctx, s);
  if (!mc) return [];
  const patch = (json: string): string => `\`kubectl -n ${s.namespace} patch meshconfig ${meshConfigName} --type merge -p '${json}'\``;
  const traffic = mc.spec?.traffic;
  const lines: ReadinessLine[] = [ok('mesh-config/permissive', traffic?.enablePermissiveTrafficPolicyMode
    ? 'permissive traffic policy mode: on (in-mesh traffic needs no SMI policy)'
    : 'permissive traffic policy mode: off (in-mesh traffic needs SMI policies; the suite\'s traffic comes from the ingress, which IngressBackend admits)')];
  const flag = mc.spec?.featureFlags?.enableIngressBackendPolicy;
  lines.push(flag === true
    ? ok('mesh-config/ingress-backend-policy', 'featureFlags.enableIngressBackendPolicy: true')
    : fail('mesh-config/ingress-backend-policy', `featureFlags.enableIngressBackendPolicy: ${String(flag ?? 'unset')}: OSM ignores IngressBackends, the ingress check cannot pass`,
      patch('{"spec":{"featureFlags":{"enableIngressBackendPolicy":true}}}')));
  lines.push(...await externalAuthorizationLines(ctx, traffic?.inboundExternalAuthorization, patch));
  return lines;
}

/** Namespaces in the mesh with their injection and metrics state, and namespaces annotated for injection but not in the mesh. */
async function namespaces(ctx: ReadinessContext, s: MeshSettings): Promise<ReadinessLine[]> {
  const all = (await ctx.client.list<V1Namespace>(resourceTypes.namespace, {}, { budgetMs: ctx.budgetMs })).items;
  const metrics = osmMetrics(s.namespace, { name: 'httpbin', targetPort: 14001 });
  const lines: ReadinessLine[] = [];
  for (const ns of all) {
    const name = ns.metadata?.name ?? '?';
    const labels = ns.metadata?.labels ?? {};
    const ann = ns.metadata?.annotations ?? {};
    if (labels[runLabelKeys.runId]) continue; // the core's leftovers category reports the suite's own namespaces
    const injection = ann[osmKeys.sidecarInjection];
    if (labels[osmKeys.monitoredBy] !== s.meshName) {
      if (isEnabled(injection)) {
        lines.push(warn(`namespaces/${name}`, `${name}: annotated for sidecar injection but not in mesh ${s.meshName} (label ${osmKeys.monitoredBy}=${labels[osmKeys.monitoredBy] ?? '<none>'}): its pods get no sidecar`,
          `\`osm namespace add ${name} --mesh-name ${s.meshName}\`, then restart its pods`));
      }
      continue;
    }
    const metricsOn = isEnabled(ann[osmKeys.metrics]);
    if (isDisabled(injection)) lines.push(ok(`namespaces/${name}`, `${name}: in the mesh without sidecar injection${metricsOn ? ', metrics enabled' : ''}`));
    else if (isEnabled(injection)) {
      lines.push(metricsOn
        ? ok(`namespaces/${name}`, `${name}: sidecar injection enabled, metrics enabled`)
        : warn(`namespaces/${name}`, `${name}: sidecar injection enabled, metrics not enabled: its sidecars are not scraped`, metrics.enableHint(name)));
    } else {
      lines.push(ok(`namespaces/${name}`, `${name}: in the mesh, sidecar injection not enabled on the namespace (pods opt in one by one)${metricsOn ? ', metrics enabled' : ''}`));
    }
  }
  if (!lines.some((l) => l.status === 'ok')) lines.unshift(ok('namespaces/none', `no namespace is in mesh ${s.meshName} yet`));
  return lines;
}

/** OSM's categories, in report order. */
export function osmReadiness(s: MeshSettings): ReadinessCategory[] {
  const bind = (fn: (ctx: ReadinessContext, s: MeshSettings) => Promise<ReadinessLine[]>) => (ctx: ReadinessContext) => fn(ctx, s);
  return [
    {
      id: 'control-plane', title: `OSM control plane (${s.namespace})`, checkers: [
        { id: 'control-plane/deployments', description: `the OSM control plane in ${s.namespace}`, fatal: true, check: bind(deployments) },
        { id: 'control-plane/mesh-name', description: 'the mesh name osm-controller runs', fatal: true, check: bind(meshName) },
        { id: 'control-plane/version', description: 'the OSM and Kubernetes versions', fatal: false, check: bind(version) },
      ],
    },
    {
      id: 'crds-webhooks', title: 'CRDs and webhooks', checkers: [
        { id: 'crds', description: 'OSM\'s CRDs', fatal: true, check: bind(crds) },
        { id: 'webhooks/injector', description: 'the sidecar injector webhook', fatal: true, check: bind(injectorWebhook) },
        { id: 'webhooks/validator', description: 'the IngressBackend validator webhook', fatal: false, check: bind(validatorWebhook) },
      ],
    },
    {
      id: 'mesh-config', title: `MeshConfig ${s.namespace}/${meshConfigName}`, checkers: [
        { id: 'mesh-config/exists', description: 'the MeshConfig', fatal: true, check: bind(meshConfigExists) },
        { id: 'mesh-config/settings', description: 'the MeshConfig settings the suite depends on', fatal: false, check: bind(meshConfigSettings) },
      ],
    },
    {
      id: 'namespaces', title: 'Namespaces in the mesh', checkers: [
        { id: 'namespaces', description: 'the namespaces in the mesh', fatal: false, check: bind(namespaces) },
      ],
    },
    osmCertificateCategory(s),
  ];
}
