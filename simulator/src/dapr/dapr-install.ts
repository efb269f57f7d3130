/**
 * Dapr's control plane as `dapr init -k` / its Helm chart lays it out in `dapr-system` (docs/dapr.md): Deployments
 * dapr-operator, dapr-sentry, dapr-sidecar-injector, the placement server (a StatefulSet upstream; here its one pod,
 * `dapr-placement-server-0`, without the StatefulSet: the simulator has no StatefulSet controller) and the Services
 * OSM's Dapr demo lists (dapr-api 80, dapr-sentry 80, dapr-placement-server 50005/8201 headless,
 * dapr-sidecar-injector 443), the Configuration CRD and the global Configuration `daprsystem` with mTLS off, as OSM's
 * Dapr guide installs it (`--enable-mtls=false`). The kind flavor runs it (`kind-up --with dapr`); the operator serves
 * its API and daprd runs for real (src/dapr/daprd.ts), the injector is src/dapr/dapr-injector.ts; sentry and the
 * placement server run idle.
 */
import type { KubeObject } from '../cluster/types.ts';
import type { SimHooks } from '../hooks.ts';
import { crd, open, boolean } from '../flavors/crd-builder.ts';
import { deployment, namespace, service } from '../flavors/workloads.ts';

export const daprNamespace = 'dapr-system';
/** The tag is the chart kind-up pins (scripts/lib/versions.mjs `dapr`). */
export const daprVersion = '1.16.9';
export const daprImage = `docker.io/daprio/dapr:${daprVersion}`;
export const daprdImage = `docker.io/daprio/daprd:${daprVersion}`;
/** The global Configuration the control plane reads (Helm: dapr_config.dapr_default_system_config_name). */
export const daprSystemConfigName = 'daprsystem';

/** Dapr's Configuration CRD (configurations.dapr.io, v1alpha1), with the fields the simulator reads. */
export function daprConfigurationCrd(): KubeObject {
  return crd({
    group: 'dapr.io', kind: 'Configuration', plural: 'configurations', labels: { 'app.kubernetes.io/part-of': 'dapr' },
    versions: [{ name: 'v1alpha1', storage: true }], status: false,
    spec: open({ mtls: open({ enabled: boolean }) }),
  });
}

function headless(svc: KubeObject): KubeObject {
  return { ...svc, spec: { ...(svc.spec as Record<string, unknown>), clusterIP: 'None' } };
}

/** The Deployments of Dapr's control plane the simulator waits for before it reports ready. */
export function daprDeployments(): { namespace: string; name: string }[] {
  return ['dapr-operator', 'dapr-sentry', 'dapr-sidecar-injector'].map((name) => ({ namespace: daprNamespace, name }));
}

export function daprControlPlaneObjects(hooks: SimHooks['mesh']): KubeObject[] {
  const ns = daprNamespace;
  const part = { 'app.kubernetes.io/part-of': 'dapr' };
  const component = (name: string, containerPort: number, args: string[]): KubeObject => deployment({
    name, namespace: ns, labels: { app: name, ...part }, podLabels: { app: name, ...part }, replicas: 1, image: daprImage, containerName: name,
    args, ports: [{ name: 'http', containerPort }],
  });
  const objects: KubeObject[] = [
    namespace(ns),
    daprConfigurationCrd(),
    { apiVersion: 'dapr.io/v1alpha1', kind: 'Configuration', metadata: { name: daprSystemConfigName, namespace: ns, labels: part }, spec: { mtls: { enabled: hooks.daprMtlsEnabled, workloadCertTTL: '24h', allowedClockSkew: '15m' } } },
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
