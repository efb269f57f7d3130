/**
 * The Kubernetes objects a migration reads besides the mesh's own: Services (selectors and ports), workload
 * controllers (their pods' ServiceAccount and labels, which a destination identity must be turned into for a
 * label-selecting policy), and Ingress routes (what an ingress admission fronts). Read-only: lists only.
 */
import type { KubernetesObject, V1DaemonSet, V1Deployment, V1Ingress, V1Service, V1StatefulSet } from '@kubernetes/client-node';
import { KubeApiError } from '../k8s/api-error.ts';
import type { KubeClient } from '../k8s/kube-client.ts';
import { resourceTypes } from '../k8s/resources.ts';
import type { ClusterFacts, IngressRouteFact, ServiceFact, WorkloadFact } from './model.ts';

const controllerTypes = {
  Deployment: resourceTypes.deployment,
  StatefulSet: { apiVersion: 'apps/v1', kind: 'StatefulSet' },
  DaemonSet: { apiVersion: 'apps/v1', kind: 'DaemonSet' },
} as const;

/** The objects of a kind, or none when the API server does not serve it (a cluster without StatefulSets, say). */
export async function listIfServed<T extends KubernetesObject>(client: KubeClient, type: { apiVersion: string; kind: string }, namespace: string, budgetMs: number): Promise<T[]> {
  try {
    return (await client.list<T>(type, { namespace }, { budgetMs })).items;
  } catch (err) {
    if (err instanceof KubeApiError && (err.code === 404 || /Unrecognized API version and kind/.test(err.message))) return [];
    throw err;
  }
}

/** Reads the facts of the given namespaces (Services, controllers, Ingress routes). */
export async function readClusterFacts(client: KubeClient, namespaces: readonly string[], budgetMs: number): Promise<ClusterFacts> {
  const facts: ClusterFacts = { services: [], workloads: [], ingressRoutes: [] };
  for (const namespace of [...new Set(namespaces)].sort()) {
    const services = (await client.list<V1Service>(resourceTypes.service, { namespace }, { budgetMs })).items;
    facts.services.push(...services.map((s): ServiceFact => ({
      namespace,
      name: s.metadata?.name ?? '',
      selector: s.spec?.selector ?? {},
      ports: (s.spec?.ports ?? []).map((p) => ({ ...(p.name ? { name: p.name } : {}), port: p.port, targetPort: p.targetPort ?? p.port, ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}) })),
    })));
    for (const [kind, type] of Object.entries(controllerTypes)) {
      const items = await listIfServed<V1Deployment | V1StatefulSet | V1DaemonSet>(client, type, namespace, budgetMs);
      facts.workloads.push(...items.map((w): WorkloadFact => ({
        kind, namespace, name: w.metadata?.name ?? '',
        serviceAccount: w.spec?.template.spec?.serviceAccountName || 'default',
        podLabels: w.spec?.template.metadata?.labels ?? {},
      })));
    }
    const ingresses = (await client.list<V1Ingress>(resourceTypes.ingress, { namespace }, { budgetMs })).items;
    for (const ing of ingresses) {
      const className = ing.spec?.ingressClassName ?? ing.metadata?.annotations?.['kubernetes.io/ingress.class'];
      for (const rule of ing.spec?.rules ?? []) {
        for (const p of rule.http?.paths ?? []) {
          const svc = p.backend.service;
          if (!svc) continue;
          facts.ingressRoutes.push({
            namespace, name: ing.metadata?.name ?? '', className, host: rule.host, path: p.path ?? '/', pathType: p.pathType,
            service: svc.name, port: svc.port?.number ?? svc.port?.name ?? 0,
          } satisfies IngressRouteFact);
        }
      }
    }
  }
  return facts;
}

/** The Service port whose targetPort (a number, or a name resolved on the workload's container ports) is `targetPort`. */
export function servicePortForTarget(svc: ServiceFact, targetPort: number): ServiceFact['ports'][number] | undefined {
  return svc.ports.find((p) => p.targetPort === targetPort || (typeof p.targetPort !== 'number' && p.port === targetPort));
}

/** Whether a map selector selects pods with these labels (an empty selector selects nothing, as a Service's). */
export function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  const entries = Object.entries(selector);
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === v);
}

/** The workloads whose pods run as `serviceAccount` in `namespace`. */
export function workloadsOf(facts: ClusterFacts, namespace: string, serviceAccount: string): WorkloadFact[] {
  return facts.workloads.filter((w) => w.namespace === namespace && w.serviceAccount === serviceAccount);
}

/** The Services whose selector selects a workload's pods. */
export function servicesOf(facts: ClusterFacts, w: WorkloadFact): ServiceFact[] {
  return facts.services.filter((s) => s.namespace === w.namespace && selects(s.selector, w.podLabels));
}
