import type { V1Ingress } from '@kubernetes/client-node';
import type { KubeClient } from '../k8s/kube-client.ts';
import { resourceTypes } from '../k8s/resources.ts';
import type { IngressAddress } from '../wait/conditions.ts';
import { ingressHasAddress } from '../wait/conditions.ts';
import type { WaitResult } from '../wait/wait-for.ts';
import { waitForObject } from '../wait/wait-for-object.ts';

/** Waits (watching) until the Ingress publishes an address; the URL includes a published port. */
export async function waitForIngressAddress(client: KubeClient, namespace: string, name: string,
  opts: { timeoutMs: number; signal?: AbortSignal }): Promise<WaitResult<IngressAddress>> {
  return waitForObject<V1Ingress, IngressAddress>(client, resourceTypes.ingress, namespace, name,
    `Ingress ${namespace}/${name} to have an address in status.loadBalancer.ingress`, ingressHasAddress, opts);
}
