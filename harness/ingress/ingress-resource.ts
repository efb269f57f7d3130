/**
 * The `networking.k8s.io/v1` Ingress that ingress-nginx and AGIC route by: the object, and its address as the
 * controller publishes it in `status.loadBalancer.ingress[0]`.
 */
import type { V1Ingress } from '@kubernetes/client-node';
import { resourceTypes } from '../k8s/resources.ts';
import type { Observation } from '../wait/wait-for.ts';
import type { IngressAddress, ObjectVerdict, RouteRequest } from './ingress-profile.ts';

/** An Ingress with one rule for the request's host, `/` prefix to the backend Service port. */
export function ingressObject(req: RouteRequest, extra: { ingressClassName?: string; annotations?: Record<string, string> }): V1Ingress {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: req.name, namespace: req.namespace, labels: req.labels, ...(extra.annotations ? { annotations: extra.annotations } : {}) },
    spec: {
      ...(extra.ingressClassName ? { ingressClassName: extra.ingressClassName } : {}),
      rules: [{ host: req.host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: req.service, port: { number: req.port } } } }] } }],
    },
  };
}

/** The Ingress has a published address (ip or hostname, plus `ports[0].port` when the controller published one). */
export function ingressHasAddress(ing: V1Ingress | undefined): Observation<IngressAddress> {
  if (!ing) return { done: false, observed: 'Ingress not found' };
  const first = ing.status?.loadBalancer?.ingress?.[0];
  const host = first?.ip ?? first?.hostname;
  if (!host) return { done: false, observed: `status.loadBalancer=${JSON.stringify(ing.status?.loadBalancer ?? {})}` };
  const port = first?.ports?.[0]?.port ?? 80;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const url = port === 80 ? `http://${hostPart}` : `http://${hostPart}:${port}`;
  return { done: true, observed: `address=${host}${first?.ports?.[0] ? `, port=${port}` : ''}`, value: { host, port, url } };
}

/** Waiting for the Ingress's published address. */
export function ingressAddressVerdict(req: RouteRequest): ObjectVerdict<IngressAddress> {
  return {
    type: resourceTypes.ingress, namespace: req.namespace, name: req.name,
    description: `Ingress ${req.namespace}/${req.name} to have an address in status.loadBalancer.ingress`,
    verdict: ingressHasAddress,
  };
}
