/**
 * Dapr's sidecar injector (docs/dapr.md): the MutatingWebhookConfiguration `dapr-sidecar-injector` (webhook
 * `sidecar-injector.dapr.io`, failurePolicy Ignore: UNCONFIRMED for 1.16) calls the injector's Service, which adds
 * the `daprd` container to a pod annotated `dapr.io/enabled: "true"` (dapr/dapr pkg/injector/patcher
 * sidecar_container.go): ports dapr-http 3500, dapr-grpc 50001, dapr-internal 50002, dapr-metrics 9090; args
 * `/daprd --dapr-http-port 3500 … --app-id <dapr.io/app-id or the pod name> --control-plane-address
 * dapr-api.<ns>.svc.cluster.local:80 …`; readiness and liveness probes GET /v1.0/healthz on the public port 3501; the
 * labels dapr.io/sidecar-injected and dapr.io/app-id. A pod that already has a `daprd` container is left alone.
 * Emulated as an admission plugin that acts while the configuration exists; with the injector unreachable the pod is
 * admitted without daprd (failurePolicy Ignore). The component writes the configuration when it starts (the chart
 * installs it; its caBundle is the cluster CA here), so it also works on `--control-plane upstream`.
 */
import type { AdmissionPlugin, AdmissionRequest, KubeObject } from '../cluster/types.ts';
import type { SimComponent } from '../component.ts';
import { arr, obj } from '../controllers/kube-objects.ts';
import { typeFor } from '../controllers/resource-lookup.ts';
import { daprdImage, daprNamespace } from './dapr-install.ts';

export const daprInjectorWebhookName = 'sidecar-injector.dapr.io';
export const daprInjectorConfigName = 'dapr-sidecar-injector';
const injectorPath = '/mutate';

function truthy(value: string | undefined): boolean {
  return value !== undefined && ['true', 'yes', 'on', '1', 'y'].includes(value.toLowerCase());
}

/** The daprd container Dapr's injector adds for `pod` (the subset of its fields the simulator's kubelet reads). */
export function daprdContainer(pod: KubeObject, controlPlaneNamespace: string): Record<string, unknown> {
  const a = pod.metadata.annotations ?? {};
  const appId = a['dapr.io/app-id'] ?? pod.metadata.name ?? pod.metadata.generateName ?? 'app';
  const args = ['/daprd', '--dapr-http-port', '3500', '--dapr-grpc-port', '50001', '--dapr-internal-grpc-port', '50002',
    '--dapr-listen-addresses', '[::1],127.0.0.1', '--dapr-public-port', '3501', '--app-id', appId, '--app-protocol', a['dapr.io/app-protocol'] ?? 'http',
    '--log-level', a['dapr.io/log-level'] ?? 'info', '--mode', 'kubernetes',
    '--control-plane-address', `dapr-api.${controlPlaneNamespace}.svc.cluster.local:80`,
    '--sentry-address', `dapr-sentry.${controlPlaneNamespace}.svc.cluster.local:443`,
    ...(a['dapr.io/app-port'] ? ['--app-port', a['dapr.io/app-port']] : []),
    '--enable-metrics', '--metrics-port', '9090',
    '--placement-host-address', `dapr-placement-server.${controlPlaneNamespace}.svc.cluster.local:50005`];
  const probe = (delay: number, threshold: number): Record<string, unknown> => ({ httpGet: { path: '/v1.0/healthz', port: 3501, scheme: 'HTTP' }, initialDelaySeconds: delay, periodSeconds: delay === 1 ? 1 : 10, failureThreshold: threshold });
  return {
    name: 'daprd', image: daprdImage, imagePullPolicy: 'IfNotPresent', args,
    ports: [{ name: 'dapr-http', containerPort: 3500, protocol: 'TCP' }, { name: 'dapr-grpc', containerPort: 50001, protocol: 'TCP' },
      { name: 'dapr-internal', containerPort: 50002, protocol: 'TCP' }, { name: 'dapr-metrics', containerPort: 9090, protocol: 'TCP' }],
    env: [{ name: 'NAMESPACE', value: pod.metadata.namespace ?? 'default' }, { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
    readinessProbe: probe(1, 5), livenessProbe: probe(180, 5),
    securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
  };
}

function webhookConfig(caPem: string): KubeObject {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration',
    metadata: { name: daprInjectorConfigName, labels: { app: 'dapr-sidecar-injector', 'app.kubernetes.io/part-of': 'dapr' } },
    webhooks: [{
      name: daprInjectorWebhookName,
      clientConfig: { service: { name: 'dapr-sidecar-injector', namespace: daprNamespace, path: injectorPath, port: 443 }, caBundle: Buffer.from(caPem).toString('base64') },
      failurePolicy: 'Ignore', sideEffects: 'None', reinvocationPolicy: 'Never', admissionReviewVersions: ['v1', 'v1beta1'],
      rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
    }],
  };
}

/** The injector while its configuration exists and its Service has an endpoint. */
export function injectorPlugin(isActive: () => boolean, reachable: () => boolean): AdmissionPlugin {
  return {
    name: daprInjectorWebhookName,
    endpoint: { namespace: daprNamespace, service: 'dapr-sidecar-injector', path: injectorPath },
    mutate(req: AdmissionRequest): void {
      if (req.operation !== 'CREATE' || req.resource.kind !== 'Pod' || req.resource.group !== '' || req.subresource) return;
      if (!isActive()) return;
      const pod = req.object;
      if (!truthy(pod.metadata.annotations?.['dapr.io/enabled'])) return;
      // failurePolicy Ignore: the pod is admitted as it is.
      if (!reachable()) return;
      const podSpec = obj(pod['spec']);
      pod['spec'] = podSpec;
      const containers = arr(podSpec['containers']);
      if (containers.some((c) => c['name'] === 'daprd')) return;
      podSpec['containers'] = [...containers, daprdContainer(pod, daprNamespace)];
      const appId = pod.metadata.annotations?.['dapr.io/app-id'] ?? pod.metadata.name ?? '';
      pod.metadata.labels = { ...(pod.metadata.labels ?? {}), 'dapr.io/sidecar-injected': 'true', 'dapr.io/app-id': appId, 'dapr.io/metrics-enabled': 'true' };
    },
  };
}

/** Dapr's injector on the flavors that install Dapr: its webhook configuration and the admission plugin. */
export function daprInjectorComponent(): SimComponent {
  return {
    name: 'dapr-sidecar-injector',
    async start(ctx) {
      const webhookType = typeFor(ctx.store, 'MutatingWebhookConfiguration');
      const endpointsType = typeFor(ctx.store, 'Endpoints');
      const reachable = (): boolean => {
        const ep = ctx.store.get(endpointsType, daprNamespace, 'dapr-sidecar-injector');
        return arr(ep?.['subsets']).some((s) => arr(s['addresses']).length > 0);
      };
      const isActive = (): boolean => ctx.store.get(webhookType, undefined, daprInjectorConfigName) !== undefined;
      let stopped = false;
      const plugin = injectorPlugin(() => !stopped && isActive(), reachable);
      ctx.store.addAdmissionPlugin(plugin);
      if (!isActive()) await ctx.store.create(webhookType, webhookConfig(ctx.api.caPem));
      return { stop: () => { stopped = true; } };
    },
  };
}
