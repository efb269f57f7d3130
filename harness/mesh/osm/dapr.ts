/**
 * OSM's guidance for Dapr ("Integrate Dapr with OSM", osm-docs demo_dapr.md, docs/dapr.md): the ports Dapr's sidecar
 * dials on its control plane are excluded from OSM's outbound interception, globally in MeshConfig
 * `spec.traffic.outboundPortExclusionList` (the placement server's 50005 and 8201 in the demo) or per pod with the
 * annotation `openservicemesh.io/outbound-port-exclusion-list` (a comma-separated list; `"80"` for dapr-api and
 * dapr-sentry in the demo). osm-init applies the union of both (pkg/injector: the pod's list is merged with the
 * global one).
 */
import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';
import type { MeshDapr } from '../../dapr/dapr-readiness.ts';
import type { KubeClient } from '../../k8s/kube-client.ts';
import type { MeshSettings } from '../mesh-profile.ts';
import { meshConfigName } from './keys.ts';

const envoyUpstreamHeader = 'x-envoy-upstream-service-time';
export const outboundPortExclusionAnnotation = 'openservicemesh.io/outbound-port-exclusion-list';
const meshConfigType = { apiVersion: 'config.openservicemesh.io/v1alpha2', kind: 'MeshConfig' } as const;

/** The ports of an exclusion-list annotation (`"80, 6379"`); entries that are not ports are ignored, as OSM rejects them at injection. */
export function annotationPorts(value: string | undefined): number[] {
  return (value ?? '').split(',').map((p) => Number(p.trim())).filter((p) => Number.isInteger(p) && p > 0 && p < 65536);
}

export function osmDapr(s: MeshSettings): MeshDapr {
  return {
    source: 'OSM docs, "Integrate Dapr with OSM"',
    async outboundPortExclusions(client: KubeClient, pod: V1Pod, budgetMs: number) {
      const mc = await client.read<KubernetesObject & { spec?: { traffic?: { outboundPortExclusionList?: number[] } } }>({ ...meshConfigType, namespace: s.namespace, name: meshConfigName }, { budgetMs });
      const global = mc?.spec?.traffic?.outboundPortExclusionList ?? [];
      const own = annotationPorts(pod.metadata?.annotations?.[outboundPortExclusionAnnotation]);
      const show = (ports: readonly number[]): string => (ports.length ? `[${ports.join(', ')}]` : 'none');
      return {
        ports: new Set([...global, ...own]),
        where: `MeshConfig ${s.namespace}/${meshConfigName} spec.traffic.outboundPortExclusionList ${show(global)}, pod annotation ${outboundPortExclusionAnnotation} ${show(own)}`,
      };
    },
    exclusionAnnotations: (ports) => ({ [outboundPortExclusionAnnotation]: ports.join(',') }),
    // "Integrate Dapr with OSM" installs Dapr with mTLS off: OSM's sidecars already encrypt and authenticate the
    // traffic between pods, and Dapr's own mTLS would tunnel it through envoy as opaque TLS.
    mtlsEnabled: {
      status: 'warn',
      why: 'OSM\'s Dapr guide installs Dapr with mTLS off (`dapr init -k --enable-mtls=false`), since OSM\'s sidecars already provide mTLS between pods',
      hint: 'reinstall or upgrade Dapr with mTLS off: `helm upgrade dapr dapr/dapr -n dapr-system --reuse-values --set global.mtls.enabled=false` (OSM docs, "Integrate Dapr with OSM")',
    },
    // OSM's envoy adds x-envoy-upstream-service-time to what it proxies to an upstream (as the ingress check verifies).
    throughMesh: (headers) => (headers[envoyUpstreamHeader] === undefined ? `${envoyUpstreamHeader} missing: the answer did not come through OSM's sidecars` : undefined),
    throughMeshDescription: `with ${envoyUpstreamHeader}`,
    hint: (ports) => `add them to the pod's annotation ${outboundPortExclusionAnnotation}: "${ports.join(',')}" (or, for every pod in the mesh, to MeshConfig spec.traffic.outboundPortExclusionList) and restart the pod`,
  };
}
