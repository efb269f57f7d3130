/**
 * Publishes an ingress controller's address on the Ingresses it serves (`status.loadBalancer.ingress[0]`), as
 * ingress-nginx's status sync and AGIC do. The hook `withholdAddress` switches this off.
 */
import type { KubeObject, ObjectStore, StoreEvent } from '../cluster/types.ts';
import type { IngressHooks } from '../hooks.ts';
import { field, isType } from '../node/kinds.ts';
import type { NodeKinds } from '../node/kinds.ts';
import { recordDelay } from '../condition-log.ts';

export interface PublishedAddress {
  ip: string;
  port: number;
}

export interface StatusPublisher {
  stop(): void;
}

/** The loadBalancer ingress entry for an address: ports are listed only when it is not plain port 80. */
export function loadBalancerEntry(address: PublishedAddress): Record<string, unknown> {
  return address.port === 80 ? { ip: address.ip } : { ip: address.ip, ports: [{ port: address.port, protocol: 'TCP' }] };
}

/** Keeps the status of every matching Ingress pointing at `address`, now and on every change. */
export function publishIngressStatus(opts: {
  store: ObjectStore;
  kinds: NodeKinds;
  hooks: IngressHooks;
  matches: (ingress: KubeObject) => boolean;
  address: PublishedAddress;
  /** Modelled time before the address appears (timings.ts `ingressAddressMs`). */
  delayMs?: number;
  /**
   * A status sync period (ingress-nginx's `--status-update-interval`, timings.ts `nginxStatusIntervalMs`): the
   * address is written on the next tick after the change, ticks counted from the controller's start. Replaces `delayMs`.
   */
  periodMs?: number;
}): StatusPublisher {
  const { store, kinds } = opts;
  const ingressType = kinds.ingress;
  if (!ingressType || opts.hooks.withholdAddress) return { stop: () => {} };
  const desired = JSON.stringify([loadBalancerEntry(opts.address)]);
  const inFlight = new Set<string>();
  const startedAt = Date.now();
  const periodMs = opts.periodMs ?? 0;
  const timers = new Set<NodeJS.Timeout>();
  const after = (ms: number): Promise<void> => (ms <= 0 ? Promise.resolve() : new Promise((resolve) => {
    const timer = setTimeout(() => { timers.delete(timer); resolve(); }, ms);
    timers.add(timer);
  }));

  const sync = (ingress: KubeObject): void => {
    if (ingress.metadata.deletionTimestamp || !opts.matches(ingress)) return;
    const current = field<{ loadBalancer?: { ingress?: unknown[] } }>(ingress, 'status')?.loadBalancer?.ingress ?? [];
    if (JSON.stringify(current) === desired) return;
    const key = `${ingress.metadata.namespace}/${ingress.metadata.name}`;
    if (inFlight.has(key)) return;
    inFlight.add(key);
    const delayMs = periodMs > 0 ? periodMs - ((Date.now() - startedAt) % periodMs) : opts.delayMs ?? 0;
    recordDelay('ingressAddress', ingress, delayMs);
    void after(delayMs)
      .then(() => store.mutate(ingressType, ingress.metadata.namespace, ingress.metadata.name!, (obj) => {
        obj.status = { ...(obj.status as object | undefined), loadBalancer: { ingress: JSON.parse(desired) as unknown[] } };
      }, { subresource: 'status' }))
      .catch(() => undefined)
      .finally(() => inFlight.delete(key));
  };

  const unsubscribe = store.onChange((event: StoreEvent) => {
    if (event.type !== 'DELETED' && isType(ingressType, event.resource)) sync(event.object);
  });
  for (const ingress of store.list(ingressType).items) sync(ingress);
  return {
    stop: () => {
      unsubscribe();
      for (const timer of timers) clearTimeout(timer);
    },
  };
}
