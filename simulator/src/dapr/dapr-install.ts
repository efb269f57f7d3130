/**
 * Dapr's control plane as `dapr init -k` / its Helm chart lays it out in `dapr-system` (docs/dapr.md): Deployments
 * dapr-operator, dapr-sentry, dapr-sidecar-injector, the placement server (a StatefulSet upstream; here its one pod,
 * `dapr-placement-server-0`, without the StatefulSet: the simulator has no StatefulSet controller) and the Services
 * OSM's Dapr demo lists (dapr-api 80, dapr-sentry 80, dapr-placement-server 50005/8201 headless,
 * dapr-sidecar-injector 443). Its containers run idle. Deployed only under the Dapr faults (no flavor runs Dapr).
 */
import type { KubeObject } from '../cluster/types.ts';
import type { SimHooks } from '../hooks.ts';
import { deployment, namespace, service } from '../flavors/workloads.ts';

export const daprNamespace = 'dapr-system';
/** The tag is our choice (Dapr 1.13, the AKS extension's line at the time of writing is UNCONFIRMED). */
export const daprImage = 'docker.io/daprio/dapr:1.13.0';
export const daprdImage = 'docker.io/daprio/daprd:1.13.0';

function headless(svc: KubeObject): KubeObject {
  return { ...svc, spec: { ...(svc.spec as Record<string, unknown>), clusterIP: 'None' } };
}

export function daprControlPlaneObjects(hooks: SimHooks['mesh']): KubeObject[] {
  if (!hooks.daprPlacementDown && !hooks.daprDemoApp) return [];
  const ns = daprNamespace;
  const part = { 'app.kubernetes.io/part-of': 'dapr' };
  const component = (name: string, containerPort: number, args: string[]): KubeObject => deployment({
    name, namespace: ns, labels: { app: name, ...part }, podLabels: { app: name, ...part }, replicas: 1, image: daprImage, containerName: name,
    args, ports: [{ name: 'http', containerPort }],
  });
  const objects: KubeObject[] = [
    namespace(ns),
    component('dapr-operator', 6500, ['./operator', '--log-level', 'info']),
    component('dapr-sentry', 50001, ['./sentry', '--log-level', 'info']),
    component('dapr-sidecar-injector', 4000, ['./injector', '--log-level', 'info']),
    service({ name: 'dapr-api', namespace: ns, labels: part, selector: { app: 'dapr-operator' }, ports: [{ name: 'dapr-api', port: 80, targetPort: 6500 }] }),
    service({ name: 'dapr-sentry', namespace: ns, labels: part, selector: { app: 'dapr-sentry' }, ports: [{ name: 'grpc', port: 80, targetPort: 50001 }] }),
    service({ name: 'dapr-sidecar-injector', namespace: ns, labels: part, selector: { app: 'dapr-sidecar-injector' }, ports: [{ name: 'https', port: 443, targetPort: 4000 }] }),
    headless(service({ name: 'dapr-placement-server', namespace: ns, labels: part, selector: { app: 'dapr-placement-server' }, ports: [{ name: 'api', port: 50005 }, { name: 'raft-node', port: 8201 }] })),
  ];
  if (!hooks.daprPlacementDown) {
    objects.push({
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: 'dapr-placement-server-0', namespace: ns, labels: { app: 'dapr-placement-server', ...part } },
      spec: {
        containers: [{ name: 'dapr-placement-server', image: daprImage, args: ['./placement', '--port', '50005'], ports: [{ name: 'api', containerPort: 50005 }, { name: 'raft-node', containerPort: 8201 }] }],
      },
    });
  }
  return objects;
}
