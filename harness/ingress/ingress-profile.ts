import type { V1Ingress } from '@kubernetes/client-node';
import type { IngressSource } from '../mesh/mesh-profile.ts';

/**
 * The ingress controllers the harness knows, and `none` for a cluster without one: the ingress check is then
 * skipped with that reason, and so is the metrics check, which counts the ingress traffic.
 */
export const ingressProfileNames = ['nginx', 'agic', 'none'] as const;
export type IngressProfileName = (typeof ingressProfileNames)[number];

/** What an Ingress to one backend needs. */
export interface IngressRequest {
  namespace: string;
  name: string;
  service: string;
  port: number;
  labels: Record<string, string>;
  /** Host the rule matches; requests must send it as `Host`. Keeps concurrent runs' Ingresses from colliding. */
  host?: string | undefined;
}

/**
 * The Ingress host of a run namespace: every namespace gets a rule of its own, so N copies of the flow (or two
 * runs) behind one ingress controller never route each other's traffic. `.test` is reserved (RFC 2606).
 */
export function ingressHostFor(namespace: string): string {
  return `${namespace}.mesh-conformance.test`;
}

/**
 * One ingress controller: how to write an Ingress it picks up, which source the mesh must trust for its
 * traffic, and which namespace (if any) must be onboarded without injection.
 */
export interface IngressProfile {
  readonly name: IngressProfileName;
  ingress(req: IngressRequest): V1Ingress;
  readonly policySource: IngressSource;
  /** Namespace of an in-cluster controller that the mesh must watch (without sidecar); undefined for AGIC. */
  readonly controllerNamespace: string | undefined;
}

function ingressBase(req: IngressRequest): V1Ingress {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: req.name, namespace: req.namespace, labels: req.labels },
    spec: {
      rules: [{ ...(req.host ? { host: req.host } : {}), http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: req.service, port: { number: req.port } } } }] } }],
    },
  };
}

/** ingress-nginx (kind): `ingressClassName: nginx`; the controller Service is the trusted source. */
export function nginxIngressProfile(): IngressProfile {
  return {
    name: 'nginx',
    ingress(req: IngressRequest): V1Ingress {
      const ing = ingressBase(req);
      ing.spec = { ingressClassName: 'nginx', ...ing.spec };
      return ing;
    },
    policySource: { kind: 'Service', name: 'ingress-nginx-controller', namespace: 'ingress-nginx' },
    controllerNamespace: 'ingress-nginx',
  };
}

/** Application Gateway Ingress Controller (AKS): the class annotation, and the gateway's private range as source. */
export function agicIngressProfile(): IngressProfile {
  return {
    name: 'agic',
    ingress(req: IngressRequest): V1Ingress {
      const ing = ingressBase(req);
      ing.metadata = { ...ing.metadata, annotations: { 'kubernetes.io/ingress.class': 'azure/application-gateway' } };
      return ing;
    },
    policySource: { kind: 'IPRange', cidr: '10.0.0.0/8' },
    controllerNamespace: undefined,
  };
}

/** The profile for a name; `none` has none. */
export function ingressProfileFor(name: IngressProfileName): IngressProfile | undefined {
  if (name === 'none') return undefined;
  return name === 'nginx' ? nginxIngressProfile() : agicIngressProfile();
}
