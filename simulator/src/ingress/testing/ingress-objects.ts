/** Objects the ingress tests create: the controller pod, Endpoints as the endpoints controller writes them, the sample Ingress. */
import type { KubeObject } from '../../cluster/types.ts';

/** The controller pod as the kind manifest deploys it (hostPort 80 on the ingress-ready worker). */
export function nginxControllerPod(): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'ingress-nginx-controller-5c8d66c76d-abcde', namespace: 'ingress-nginx', labels: { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/component': 'controller' } },
    spec: {
      nodeSelector: { 'ingress-ready': 'true', 'kubernetes.io/os': 'linux' },
      containers: [{
        name: 'controller',
        image: 'registry.k8s.io/ingress-nginx/controller:v1.1.2@sha256:28b11ce69e57843de44e3db6413e98d09de0f6688e33d4bd384002a44f78405c',
        args: ['/nginx-ingress-controller', '--ingress-class=nginx', '--publish-status-address=localhost'],
        ports: [{ name: 'http', containerPort: 80, hostPort: 80, protocol: 'TCP' }],
      }],
    },
  };
}

/** What the endpoints controller would write for a Service backed by one pod. */
export function endpointsFor(namespace: string, name: string, ip: string, port: number, portName?: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name, namespace },
    subsets: [{ addresses: [{ ip }], ports: [{ port, protocol: 'TCP', ...(portName ? { name: portName } : {}) }] }],
  };
}

export function httpbinIngress(annotations: Record<string, string> = {}, className?: string): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'httpbin', namespace: 'httpbin', annotations },
    spec: {
      ...(className ? { ingressClassName: className } : {}),
      rules: [{ http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'httpbin', port: { number: 14001 } } } }] } }],
    },
  };
}
