import type { V1Deployment, V1Service, V1ServiceAccount } from '@kubernetes/client-node';

/** The httpbin sample's facts the checks refer to (OSM-docs release-v1.2 `manifests/samples/httpbin/httpbin.yaml`). */
export const httpbin = {
  name: 'httpbin',
  port: 14001,
  appLabel: 'app=httpbin',
  containerName: 'httpbin',
  image: 'kennethreitz/httpbin',
} as const;

/**
 * The OSM httpbin sample exactly as published (ServiceAccount, Service on 14001, Deployment with the amd64
 * nodeSelector and the gunicorn command), plus the run labels on each object. Apply in the returned order.
 */
export function httpbinManifests(namespace: string, labels: Record<string, string>): [V1ServiceAccount, V1Service, V1Deployment] {
  const serviceAccount: V1ServiceAccount = {
    apiVersion: 'v1', kind: 'ServiceAccount',
    metadata: { name: 'httpbin', namespace, labels: { ...labels } },
  };
  const service: V1Service = {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name: 'httpbin', namespace, labels: { app: 'httpbin', service: 'httpbin', ...labels } },
    spec: { ports: [{ name: 'http', port: 14001 }], selector: { app: 'httpbin' } },
  };
  const deployment: V1Deployment = {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: 'httpbin', namespace, labels: { ...labels } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'httpbin' } },
      template: {
        // The run labels go on the pods too, so the diagnostics and a sweep find them.
        metadata: { labels: { app: 'httpbin', ...labels } },
        spec: {
          serviceAccountName: 'httpbin',
          nodeSelector: { 'kubernetes.io/arch': 'amd64', 'kubernetes.io/os': 'linux' },
          containers: [{
            image: 'kennethreitz/httpbin',
            imagePullPolicy: 'IfNotPresent',
            name: 'httpbin',
            command: ['gunicorn', '-b', '0.0.0.0:14001', 'httpbin:app', '-k', 'gevent'],
            ports: [{ containerPort: 14001 }],
          }],
        },
      },
    },
  };
  return [serviceAccount, service, deployment];
}

