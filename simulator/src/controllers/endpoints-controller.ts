/**
 * kube-controller-manager's endpoints controller: for every Service with a selector, an Endpoints object
 * of the same name listing ready pod IPs in `addresses` and the others in `notReadyAddresses`, with the
 * Service's target ports. When the EndpointSlice kind is served, one slice per Service mirrors it.
 * `suppress` lets the wiring withhold endpoints for a Service (the hook `withholdEndpoints`, src/hooks.ts).
 */
import type { KubeObject, ObjectStore, StoreEvent } from '../cluster/types.ts';
import { ApiError } from '../cluster/types.ts';
import { matchesMapSelector } from './label-selector.ts';
import {
  arr, deepEqual, isPodReady, isTerminating, keyOf, num, podIP, podPhase, randomSuffix, spec, splitKey, str,
} from './kube-objects.ts';
import { maybeTypeFor, typeFor } from './resource-lookup.ts';
import { QueueController } from './queue-controller.ts';

export interface EndpointsControllerOptions {
  /** Returns true for a Service whose endpoints must stay empty (the hook `withholdEndpoints`). */
  suppress?: (service: KubeObject) => boolean;
}

interface EndpointPort {
  name?: string;
  port: number;
  protocol: string;
}

/** Resolves a Service port's targetPort against one pod (numbers as-is, names via containerPorts). */
export function resolveTargetPort(servicePort: Record<string, unknown>, pod: KubeObject | undefined): number | undefined {
  const target = servicePort['targetPort'] ?? servicePort['port'];
  if (typeof target === 'number') return target;
  if (typeof target === 'string' && /^\d+$/.test(target)) return Number(target);
  if (typeof target !== 'string' || !pod) return undefined;
  for (const container of arr(spec(pod)['containers'])) {
    for (const port of arr(container['ports'])) {
      if (port['name'] === target) return num(port['containerPort']);
    }
  }
  return undefined;
}

function serviceSelector(service: KubeObject): Record<string, string> | undefined {
  const selector = spec(service)['selector'];
  if (!selector || typeof selector !== 'object') return undefined;
  return selector as Record<string, string>;
}

function isEndpointCandidate(pod: KubeObject): boolean {
  const phase = podPhase(pod);
  return !isTerminating(pod) && phase !== 'Succeeded' && phase !== 'Failed' && podIP(pod) !== undefined;
}

export class EndpointsController extends QueueController {
  constructor(store: ObjectStore, private readonly opts: EndpointsControllerOptions = {}) {
    super(store, { name: 'endpoints', component: 'endpoints-controller' });
  }

  protected initialKeys(): string[] {
    return this.store.list(typeFor(this.store, 'Service')).items.map(keyOf);
  }

  protected onChange(event: StoreEvent): void {
    const o = event.object;
    switch (o.kind) {
      case 'Service':
        this.queue.enqueue(keyOf(o));
        break;
      case 'Endpoints':
        // Someone else changed or deleted an Endpoints we manage: put it back.
        if (event.type !== 'ADDED') this.queue.enqueue(keyOf(o));
        break;
      case 'Pod': {
        const services = this.store.list(typeFor(this.store, 'Service'), { namespace: o.metadata.namespace }).items;
        for (const svc of services) {
          const selector = serviceSelector(svc);
          if (!selector) continue;
          if (matchesMapSelector(selector, o.metadata.labels) || (event.oldObject && matchesMapSelector(selector, event.oldObject.metadata.labels))) {
            this.queue.enqueue(keyOf(svc));
          }
        }
        break;
      }
      default:
        break;
    }
  }

  protected async reconcile(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const svcType = typeFor(this.store, 'Service');
    const epType = typeFor(this.store, 'Endpoints');
    const service = this.store.get(svcType, namespace, name);
    const existing = this.store.get(epType, namespace, name);
    if (!service || isTerminating(service)) {
      if (existing) await this.deleteQuietly(epType, namespace, name);
      await this.syncSlice(namespace, name, undefined, []);
      return;
    }
    const selector = serviceSelector(service);
    if (!selector) return; // Services without selectors have hand-managed endpoints.

    const suppressed = this.opts.suppress?.(service) === true;
    const pods = suppressed
      ? []
      : this.store.list(typeFor(this.store, 'Pod'), { namespace }).items.filter((p) => matchesMapSelector(selector, p.metadata.labels) && isEndpointCandidate(p));
    const publishNotReady = spec(service)['publishNotReadyAddresses'] === true;
    const servicePorts = arr(spec(service)['ports']);

    // Pods whose named target ports resolve differently land in different subsets, as upstream.
    const subsets = new Map<string, { ports: EndpointPort[]; addresses: Record<string, unknown>[]; notReadyAddresses: Record<string, unknown>[] }>();
    for (const pod of pods) {
      const ports: EndpointPort[] = [];
      for (const sp of servicePorts) {
        const port = resolveTargetPort(sp, pod);
        if (port === undefined) continue;
        ports.push({ ...(str(sp['name']) ? { name: str(sp['name']) } : {}), port, protocol: str(sp['protocol']) ?? 'TCP' });
      }
      const sig = JSON.stringify(ports);
      const subset = subsets.get(sig) ?? { ports, addresses: [], notReadyAddresses: [] };
      subsets.set(sig, subset);
      const address = {
        ip: podIP(pod),
        ...(str(spec(pod)['nodeName']) ? { nodeName: str(spec(pod)['nodeName']) } : {}),
        targetRef: { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid },
      };
      if (isPodReady(pod) || publishNotReady) subset.addresses.push(address);
      else subset.notReadyAddresses.push(address);
    }
    const byIp = (a: Record<string, unknown>, b: Record<string, unknown>) => String(a['ip']).localeCompare(String(b['ip']));
    const rendered = [...subsets.values()].map((s) => ({
      ...(s.addresses.length ? { addresses: s.addresses.sort(byIp) } : {}),
      ...(s.notReadyAddresses.length ? { notReadyAddresses: s.notReadyAddresses.sort(byIp) } : {}),
      ports: s.ports,
    }));
    const labels = { ...(service.metadata.labels ?? {}) };

    if (!existing) {
      await this.store.create(epType, {
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { name, namespace, labels },
        ...(rendered.length ? { subsets: rendered } : {}),
      });
    } else if (!deepEqual(existing['subsets'] ?? [], rendered) || !deepEqual(existing.metadata.labels ?? {}, labels)) {
      await this.store.mutate(epType, namespace, name, (ep) => {
        ep.metadata.labels = labels;
        if (rendered.length) ep['subsets'] = rendered;
        else delete ep['subsets'];
      });
    }
    await this.syncSlice(namespace, name, service, rendered);
  }

  /** Mirrors the Endpoints into one EndpointSlice, when the kind is served (newer kubectl describe reads slices). */
  private async syncSlice(namespace: string | undefined, serviceName: string, service: KubeObject | undefined, subsets: { addresses?: Record<string, unknown>[]; notReadyAddresses?: Record<string, unknown>[]; ports: EndpointPort[] }[]): Promise<void> {
    const sliceType = maybeTypeFor(this.store, 'EndpointSlice');
    if (!sliceType) return;
    const existing = this.store.list(sliceType, { namespace, labelSelector: `kubernetes.io/service-name=${serviceName}` }).items;
    if (!service) {
      for (const slice of existing) await this.deleteQuietly(sliceType, namespace, slice.metadata.name ?? '');
      return;
    }
    const endpoints = subsets.flatMap((s) => [
      ...(s.addresses ?? []).map((a) => ({ a, ready: true })),
      ...(s.notReadyAddresses ?? []).map((a) => ({ a, ready: false })),
    ]).map(({ a, ready }) => ({
      addresses: [a['ip']],
      conditions: { ready, serving: ready, terminating: false },
      ...(a['nodeName'] ? { nodeName: a['nodeName'] } : {}),
      targetRef: a['targetRef'],
    }));
    const ports = subsets[0]?.ports ?? [];
    const body = { addressType: 'IPv4', endpoints, ports };
    const labels = { ...(service.metadata.labels ?? {}), 'kubernetes.io/service-name': serviceName, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' };
    const current = existing[0];
    if (!current) {
      await this.store.create(sliceType, {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          name: `${serviceName}-${randomSuffix()}`,
          namespace,
          labels,
          ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: serviceName, uid: service.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }],
        },
        ...body,
      });
    } else if (!deepEqual({ addressType: current['addressType'], endpoints: current['endpoints'] ?? [], ports: current['ports'] ?? [] }, body)) {
      await this.store.mutate(sliceType, namespace, current.metadata.name ?? '', (slice) => {
        slice['endpoints'] = endpoints;
        slice['ports'] = ports;
      });
    }
  }

  private async deleteQuietly(type: ReturnType<typeof typeFor>, namespace: string | undefined, name: string): Promise<void> {
    try {
      await this.store.delete(type, namespace, name);
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 404)) throw error;
    }
  }
}

