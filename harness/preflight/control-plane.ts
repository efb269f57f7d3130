import type { KubernetesObject, V1Deployment, V1Endpoints, V1MutatingWebhookConfiguration } from '@kubernetes/client-node';
import type { IngressProfileName } from '../ingress/ingress-profile.ts';
import type { KubeClient } from '../k8s/kube-client.ts';
import type { PreflightProblem } from './preflight-result.ts';

/** The OSM control-plane deployments that must be Ready in the mesh namespace. */
export const osmDeployments = ['osm-controller', 'osm-injector', 'osm-bootstrap'] as const;
/** The CRDs the suite uses (IngressBackend) or reads (MeshConfig). */
export const osmCrds = ['ingressbackends.policy.openservicemesh.io', 'meshconfigs.config.openservicemesh.io'] as const;
/** The MeshConfig OSM reads its settings from. */
export const meshConfigName = 'osm-mesh-config';

/** What the checks need to know about the run. */
export interface MeshExpectations {
  target: string;
  meshName: string;
  meshNamespace: string;
  ingress: IngressProfileName;
  budgetMs: number;
}

/** Findings of one area: problems and what was verified. */
export interface AreaResult {
  problems: PreflightProblem[];
  passed: string[];
}

const deploymentType = { apiVersion: 'apps/v1', kind: 'Deployment' } as const;

function installHint(e: MeshExpectations): string {
  return e.target === 'aks'
    ? 'enable the OSM add-on: `az aks enable-addons --addons open-service-mesh -g <group> -n <cluster>` (or `node scripts/aks-up.mjs`); the add-on runs in kube-system'
    : 'install OSM: `node scripts/kind-up.mjs`, or `osm install --mesh-name osm --osm-namespace osm-system --set osm.deployPrometheus=true`';
}

/** "1/2 ready (Available=False: MinimumReplicasUnavailable)" */
export function deploymentState(d: V1Deployment): { ready: boolean; text: string } {
  const want = d.spec?.replicas ?? 1;
  const ready = d.status?.readyReplicas ?? 0;
  const avail = d.status?.conditions?.find((c) => c.type === 'Available');
  return {
    ready: want > 0 && ready >= want,
    text: `${ready}/${want} ready${avail && avail.status !== 'True' ? ` (Available=${avail.status}${avail.reason ? `: ${avail.reason}` : ''})` : ''}`,
  };
}

/**
 * The OSM control plane: osm-controller, osm-injector and osm-bootstrap Ready in the mesh namespace (and of the
 * configured mesh), the CRDs, the MeshConfig, and a mutating webhook that calls osm-injector.
 */
export async function checkMeshControlPlane(client: KubeClient, e: MeshExpectations): Promise<AreaResult> {
  const problems: PreflightProblem[] = [];
  const passed: string[] = [];
  const add = (message: string, hint: string): void => {
    problems.push({ area: 'control-plane', message, hint });
  };
  const opts = { budgetMs: e.budgetMs };

  const missing: string[] = [];
  const ready: string[] = [];
  for (const name of osmDeployments) {
    const d = await client.read<V1Deployment>({ ...deploymentType, namespace: e.meshNamespace, name }, opts);
    if (!d) {
      missing.push(name);
      continue;
    }
    const state = deploymentState(d);
    if (!state.ready) add(`Deployment ${e.meshNamespace}/${name} is not Ready: ${state.text}`, `look at \`kubectl -n ${e.meshNamespace} describe deploy/${name}\` and its pods' events; the suite needs a working ${name}`);
    else ready.push(`${name} ${state.text}`);
    const mesh = d.metadata?.labels?.meshName;
    if (name === 'osm-controller' && mesh && mesh !== e.meshName) {
      add(`osm-controller in ${e.meshNamespace} runs mesh "${mesh}", but the configuration says meshName "${e.meshName}"`, `set meshName: ${mesh} (config file or MESH_CONFORMANCE_MESH_NAME), or the run onboards namespaces to a mesh that does not exist`);
    }
  }
  if (missing.length) {
    // A common slip: OSM runs, but in another namespace (kube-system on AKS, osm-system when self-installed).
    const elsewhere = await client.list<V1Deployment>(deploymentType, { labelSelector: 'app=osm-controller' }, opts)
      .then((l) => [...new Set(l.items.map((d) => d.metadata?.namespace).filter((ns): ns is string => !!ns && ns !== e.meshNamespace))])
      .catch(() => []);
    add(`OSM control plane not found in namespace ${e.meshNamespace}: no Deployment ${missing.join(', ')}`,
      elsewhere.length ? `osm-controller runs in namespace ${elsewhere.join(', ')}: set meshNamespace: ${elsewhere[0] ?? ''} in mesh-conformance.config.yaml or MESH_CONFORMANCE_MESH_NAMESPACE` : installHint(e));
  }
  if (ready.length) passed.push(`OSM in ${e.meshNamespace}: ${ready.join(', ')}`);

  const crdsPresent = new Set<string>();
  for (const crd of osmCrds) {
    const got = await client.read<KubernetesObject>({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: crd }, opts);
    if (got) crdsPresent.add(crd);
    else add(`CustomResourceDefinition ${crd} not found`, `OSM's CRDs are installed by osm-bootstrap; ${installHint(e)}`);
  }
  if (crdsPresent.size) passed.push(`CRDs ${[...crdsPresent].join(', ')}`);

  if (crdsPresent.has('meshconfigs.config.openservicemesh.io')) {
    const mc = await client.read<KubernetesObject>({ apiVersion: 'config.openservicemesh.io/v1alpha2', kind: 'MeshConfig', namespace: e.meshNamespace, name: meshConfigName }, opts);
    if (!mc) add(`MeshConfig ${e.meshNamespace}/${meshConfigName} not found`, `osm-bootstrap creates it from ConfigMap preset-mesh-config; check \`kubectl -n ${e.meshNamespace} logs deploy/osm-bootstrap\`, or set meshNamespace to where OSM runs`);
    else passed.push(`MeshConfig ${e.meshNamespace}/${meshConfigName}`);
  }

  const hooks = await client.list<V1MutatingWebhookConfiguration>({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration' }, {}, opts);
  const injector = hooks.items.find((h) => (h.webhooks ?? []).some((w) => w.clientConfig.service?.name === 'osm-injector' && w.clientConfig.service.namespace === e.meshNamespace));
  if (!injector) {
    add(`no MutatingWebhookConfiguration calls osm-injector in ${e.meshNamespace} (expected ${e.target === 'aks' ? 'aks-osm-webhook-' : 'osm-webhook-'}${e.meshName}), so pods would get no sidecar`,
      `osm-injector creates it when it starts: check \`kubectl -n ${e.meshNamespace} logs deploy/osm-injector\`; ${installHint(e)}`);
  } else {
    passed.push(`injector webhook ${injector.metadata?.name ?? '?'}`);
  }
  return { problems, passed };
}

/** The ingress controller of the chosen profile: ingress-nginx (IngressClass, controller Service with endpoints) or AGIC. */
export async function checkIngressController(client: KubeClient, e: MeshExpectations): Promise<AreaResult> {
  const problems: PreflightProblem[] = [];
  const passed: string[] = [];
  const opts = { budgetMs: e.budgetMs };
  const add = (message: string, hint: string): void => {
    problems.push({ area: 'ingress', message, hint });
  };
  if (e.ingress === 'none') {
    passed.push('no ingress controller checked (ingress profile none)');
  } else if (e.ingress === 'nginx') {
    const hint = 'install ingress-nginx (release ingress-nginx in namespace ingress-nginx): `node scripts/kind-up.mjs` does it, or choose the ingress profile that matches the cluster (ingress: agic on AKS)';
    const cls = await client.read<KubernetesObject>({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', name: 'nginx' }, opts);
    if (!cls) add('IngressClass nginx not found (the ingress profile nginx writes ingressClassName: nginx)', hint);
    const svc = await client.read<KubernetesObject>({ apiVersion: 'v1', kind: 'Service', namespace: 'ingress-nginx', name: 'ingress-nginx-controller' }, opts);
    if (!svc) {
      add('Service ingress-nginx/ingress-nginx-controller not found (the IngressBackend names it as the trusted source)', hint);
    } else {
      const ep = await client.read<V1Endpoints>({ apiVersion: 'v1', kind: 'Endpoints', namespace: 'ingress-nginx', name: 'ingress-nginx-controller' }, opts);
      const ready = (ep?.subsets ?? []).reduce((n, s) => n + (s.addresses?.length ?? 0), 0);
      if (!ready) add('the ingress-nginx controller has no ready pod (Service ingress-nginx/ingress-nginx-controller has no ready endpoints)', 'look at `kubectl -n ingress-nginx get pods` and their events; on kind the controller needs the worker labelled ingress-ready=true');
      else if (cls) passed.push(`ingress-nginx (IngressClass nginx, ${ready} ready controller endpoint${ready === 1 ? '' : 's'})`);
    }
  } else {
    const d = await client.read<V1Deployment>({ ...deploymentType, namespace: 'kube-system', name: 'ingress-appgw-deployment' }, opts);
    const hint = 'enable the AGIC add-on: `az aks enable-addons --addons ingress-appgw --appgw-name <gateway> --appgw-subnet-cidr 10.225.0.0/16 -g <group> -n <cluster>` (or `node scripts/aks-up.mjs`), or choose the ingress profile that matches the cluster (ingress: nginx)';
    if (!d) add('the Application Gateway Ingress Controller is not installed (no Deployment kube-system/ingress-appgw-deployment)', hint);
    else {
      const state = deploymentState(d);
      if (!state.ready) add(`Deployment kube-system/ingress-appgw-deployment is not Ready: ${state.text}`, 'look at `kubectl -n kube-system logs deploy/ingress-appgw-deployment` (gateway permissions, subnet)');
      else passed.push(`AGIC ingress-appgw-deployment ${state.text}`);
    }
  }
  return { problems, passed };
}
