/**
 * The sample workload every check runs: httpbin, as the mesh's own docs publish it (OSM's sample listens on 14001
 * and runs gunicorn; Istio's is go-httpbin on 8080 behind Service port 8000). The mesh profile supplies the
 * facts; the manifests are built here, the same way for every mesh, with the run labels on each object.
 */
import type { V1Deployment, V1Service, V1ServiceAccount } from '@kubernetes/client-node';

/** The facts of a mesh's httpbin sample. */
export interface SampleWorkload {
  /** Where the sample is published, for docs and messages. */
  source: string;
  /** Name of the ServiceAccount, Service and Deployment, and the container. */
  name: string;
  image: string;
  /** The Service port, and the container port it targets. */
  port: number;
  targetPort: number;
  /** The container's command and arguments, when the sample sets them. */
  command?: string[];
  args?: string[];
  /** Pod labels besides `app: <name>` (Istio's sample adds `version: v1`). */
  podLabels?: Record<string, string>;
  /** The Service port's name. */
  portName: string;
  nodeSelector?: Record<string, string>;
}

/**
 * The sample with the user's overrides (config `sampleImage`, `sampleArch`): another image (a mirror, a digest, an
 * arm64 build), and the node architecture it is scheduled on (`any`: no `kubernetes.io/arch` selector).
 */
export function withSampleOverrides(s: SampleWorkload, o: { sampleImage?: string | undefined; sampleArch?: 'amd64' | 'arm64' | 'any' | undefined }): SampleWorkload {
  const out: SampleWorkload = { ...s, ...(o.sampleImage ? { image: o.sampleImage } : {}) };
  if (o.sampleArch === undefined) return out;
  const { 'kubernetes.io/arch': _arch, ...rest } = s.nodeSelector ?? {};
  const nodeSelector = o.sampleArch === 'any' ? rest : { ...rest, 'kubernetes.io/arch': o.sampleArch };
  if (Object.keys(nodeSelector).length) return { ...out, nodeSelector };
  const { nodeSelector: _dropped, ...withoutSelector } = out;
  return withoutSelector;
}

/** `app=httpbin`: the selector of the sample's pods. */
export function sampleSelector(s: SampleWorkload): string {
  return `app=${s.name}`;
}

/**
 * The sample as its docs publish it (ServiceAccount, Service, Deployment), plus the run labels on each object and
 * on the pods (so diagnostics and a sweep find them). Apply in the returned order.
 */
export function sampleManifests(s: SampleWorkload, namespace: string, labels: Record<string, string>): [V1ServiceAccount, V1Service, V1Deployment] {
  const serviceAccount: V1ServiceAccount = {
    apiVersion: 'v1', kind: 'ServiceAccount',
    metadata: { name: s.name, namespace, labels: { ...labels } },
  };
  const service: V1Service = {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name: s.name, namespace, labels: { app: s.name, service: s.name, ...labels } },
    spec: {
      ports: [{ name: s.portName, port: s.port, ...(s.targetPort !== s.port ? { targetPort: s.targetPort } : {}) }],
      selector: { app: s.name },
    },
  };
  const deployment: V1Deployment = {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: s.name, namespace, labels: { ...labels } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: s.name, ...(s.podLabels ?? {}) } },
      template: {
        metadata: { labels: { app: s.name, ...(s.podLabels ?? {}), ...labels } },
        spec: {
          serviceAccountName: s.name,
          ...(s.nodeSelector ? { nodeSelector: { ...s.nodeSelector } } : {}),
          containers: [{
            image: s.image,
            imagePullPolicy: 'IfNotPresent',
            name: s.name,
            ...(s.command ? { command: [...s.command] } : {}),
            ...(s.args ? { args: [...s.args] } : {}),
            ports: [{ containerPort: s.targetPort }],
            // Probes and resources, which the docs' sample lacks and AKS Deployment Safeguards (enforced on AKS
            // Automatic) require. OSM and Istio rewrite HTTP probes so they pass through the sidecar's own ports.
            readinessProbe: { httpGet: { path: '/status/200', port: s.targetPort }, periodSeconds: 5 },
            livenessProbe: { httpGet: { path: '/status/200', port: s.targetPort }, periodSeconds: 10, failureThreshold: 6 },
            resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
          }],
        },
      },
    },
  };
  return [serviceAccount, service, deployment];
}
