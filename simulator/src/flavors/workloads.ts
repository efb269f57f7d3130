/**
 * Builders for the Deployments, Services and Namespaces the flavors install. They produce manifests in
 * the shape `kubectl apply` would send, so the flavor objects go through defaulting, admission and the
 * controllers like anything a user applies.
 */
import type { KubeObject } from '../cluster/types.ts';

export interface ContainerPort {
  name: string;
  containerPort: number;
  hostPort?: number;
  protocol?: 'TCP' | 'UDP';
}

export interface DeploymentParams {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  /** Pod labels; the selector uses `app` (or all of them when there is no `app`). */
  podLabels: Record<string, string>;
  podAnnotations?: Record<string, string>;
  replicas: number;
  image: string;
  containerName?: string;
  args?: string[];
  ports?: ContainerPort[];
  serviceAccountName?: string;
  nodeSelector?: Record<string, string>;
  tolerations?: Record<string, unknown>[];
  affinity?: Record<string, unknown>;
  readinessProbe?: Record<string, unknown>;
  livenessProbe?: Record<string, unknown>;
  priorityClassName?: string;
}

/** A Deployment manifest with one container. */
export function deployment(p: DeploymentParams): KubeObject {
  const selector = p.podLabels['app'] ? { app: p.podLabels['app'] } : p.podLabels;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: p.name, namespace: p.namespace, labels: p.labels },
    spec: {
      replicas: p.replicas,
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: p.podLabels, ...(p.podAnnotations ? { annotations: p.podAnnotations } : {}) },
        spec: {
          ...(p.serviceAccountName ? { serviceAccountName: p.serviceAccountName } : {}),
          ...(p.nodeSelector ? { nodeSelector: p.nodeSelector } : {}),
          ...(p.tolerations ? { tolerations: p.tolerations } : {}),
          ...(p.affinity ? { affinity: p.affinity } : {}),
          ...(p.priorityClassName ? { priorityClassName: p.priorityClassName } : {}),
          containers: [{
            name: p.containerName ?? p.name,
            image: p.image,
            imagePullPolicy: 'IfNotPresent',
            ...(p.args ? { args: p.args } : {}),
            ...(p.ports ? { ports: p.ports.map((port) => ({ protocol: 'TCP', ...port })) } : {}),
            ...(p.readinessProbe ? { readinessProbe: p.readinessProbe } : {}),
            ...(p.livenessProbe ? { livenessProbe: p.livenessProbe } : {}),
          }],
        },
      },
    },
  };
}

export interface ServicePort {
  name: string;
  port: number;
  targetPort?: number | string;
  nodePort?: number;
  appProtocol?: string;
}

/** A Service manifest selecting `selector`. */
export function service(p: { name: string; namespace: string; labels: Record<string, string>; selector: Record<string, string>; ports: ServicePort[]; type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer' }): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: p.name, namespace: p.namespace, labels: p.labels },
    spec: {
      type: p.type ?? 'ClusterIP',
      selector: p.selector,
      ports: p.ports.map((port) => ({ protocol: 'TCP', ...port, targetPort: port.targetPort ?? port.port })),
    },
  };
}

export function namespace(name: string, labels: Record<string, string> = {}, annotations: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels, ...(Object.keys(annotations).length ? { annotations } : {}) },
  };
}

export function serviceAccount(name: string, ns: string, labels: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: ns, labels } };
}

/** The node affinity OSM's chart puts on control-plane pods (linux on amd64 or arm64). */
export const osmNodeAffinity = {
  nodeAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: {
      nodeSelectorTerms: [{
        matchExpressions: [
          { key: 'kubernetes.io/os', operator: 'In', values: ['linux'] },
          { key: 'kubernetes.io/arch', operator: 'In', values: ['amd64', 'arm64'] },
        ],
      }],
    },
  },
};
