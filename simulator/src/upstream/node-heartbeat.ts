/**
 * The node agent's heartbeat (upstream mode): every node's Lease in kube-node-lease, renewed every 10 s with a 40 s
 * duration, as the kubelet does (NodeLease). Without it kube-controller-manager's node lifecycle controller marks a
 * node NotReady after --node-monitor-grace-period (50 s), taints it node.kubernetes.io/unreachable, and the scheduler
 * stops placing pods there.
 */
import type { KubeObject, ObjectStore } from '../cluster/types.ts';
import { ApiError } from '../cluster/types.ts';

const renewIntervalMs = 10_000;
const leaseDurationSeconds = 40;
const leaseNamespace = 'kube-node-lease';

/** MicroTime as the API serializes it: RFC 3339 with microseconds. */
function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export function startNodeHeartbeats(opts: { store: ObjectStore; log?: (line: string) => void }): { stop(): void } {
  const { store } = opts;
  const leaseType = store.types.byKind('Lease', 'coordination.k8s.io/v1');
  const nodeType = store.types.byKind('Node', 'v1');
  if (!leaseType || !nodeType) throw new Error('the store serves no Lease or Node kind: node heartbeats need both');
  let stopped = false;

  const renew = async (node: KubeObject): Promise<void> => {
    const name = node.metadata.name ?? '';
    const now = microTime(new Date());
    const existing = store.get(leaseType, leaseNamespace, name);
    try {
      if (!existing) {
        await store.create(leaseType, {
          apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
          metadata: { name, namespace: leaseNamespace, ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: node.metadata.uid ?? '' }] },
          spec: { holderIdentity: name, leaseDurationSeconds, renewTime: now },
        });
      } else {
        await store.mutate(leaseType, leaseNamespace, name, (lease) => {
          lease.spec = { ...(lease.spec as Record<string, unknown>), holderIdentity: name, leaseDurationSeconds, renewTime: now };
        });
      }
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 409)) opts.log?.(`node ${name}: lease renewal failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const beat = (): void => {
    if (stopped) return;
    for (const node of store.list(nodeType).items) void renew(node);
  };
  const unsubscribe = store.onChange((e) => {
    if (e.type === 'ADDED' && e.resource.kind === 'Node' && e.resource.group === '') void renew(e.object);
  });
  beat();
  const timer = setInterval(beat, renewIntervalMs);
  timer.unref();
  return {
    stop() {
      stopped = true;
      unsubscribe();
      clearInterval(timer);
    },
  };
}
