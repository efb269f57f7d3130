/**
 * The default scheduler, reduced to what a two-node conformance cluster needs: it binds each pending pod to a
 * Ready node that satisfies its nodeSelector, required node affinity and taints, spreading by pod count; when no
 * node fits it reports PodScheduled=False/Unschedulable with the real message shape and a FailedScheduling Event.
 */
import type { KubeObject, ObjectStore, StoreEvent } from '../cluster/types.ts';
import { EventRecorder } from '../cluster/event-recorder.ts';
import { field, isType, keyOf, nodeKinds } from './kinds.ts';

export interface SchedulerOptions {
  store: ObjectStore;
  clock?: () => Date;
}

export interface Scheduler {
  stop(): void;
}

type Taint = { key: string; value?: string; effect: string };
type Toleration = { key?: string; operator?: string; value?: string; effect?: string };
type Requirement = { key: string; operator: string; values?: string[] };

/** Starts scheduling pods that name no node (and `schedulerName` default-scheduler or none). */
export function startScheduler(opts: SchedulerOptions): Scheduler {
  const { store } = opts;
  const clock = opts.clock ?? (() => new Date());
  const kinds = nodeKinds(store);
  const events = new EventRecorder(store, { component: 'default-scheduler' }, clock);
  const queue = new Map<string, KubeObject>();
  const inFlight = new Set<string>();
  let scheduled = false;
  let stopped = false;

  const enqueue = (pod: KubeObject): void => {
    if (!needsScheduling(pod)) return;
    queue.set(keyOf(pod), pod);
    if (scheduled) return;
    scheduled = true;
    // One pass per burst of changes: all pods created by one apply are placed together.
    setImmediate(() => {
      scheduled = false;
      void drain();
    });
  };

  const enqueueAllPending = (): void => {
    for (const pod of store.list(kinds.pod).items) enqueue(pod);
  };

  const drain = async (): Promise<void> => {
    const batch = [...queue.values()];
    queue.clear();
    for (const queued of batch) {
      if (stopped) return;
      const key = keyOf(queued);
      const pod = store.get(kinds.pod, queued.metadata.namespace, queued.metadata.name!);
      if (!pod || !needsScheduling(pod) || inFlight.has(key)) continue;
      inFlight.add(key);
      try {
        await scheduleOne(pod);
      } finally {
        inFlight.delete(key);
      }
    }
  };

  const scheduleOne = async (pod: KubeObject): Promise<void> => {
    const ns = pod.metadata.namespace ?? 'default';
    const name = pod.metadata.name!;
    if (pod.metadata.deletionTimestamp) {
      // A pod that never reached a node has nothing to stop: remove it at once, as the API server does.
      const opts = { propagationPolicy: 'Background', gracePeriodSeconds: 0 };
      await store.delete(kinds.pod, ns, name, opts).catch(() => undefined);
      return;
    }
    const nodes = store.list(kinds.node).items;
    const pods = store.list(kinds.pod).items;
    const reasons = new Map<string, number>();
    const fitting: KubeObject[] = [];
    for (const node of nodes) {
      const reason = unfitReason(pod, node);
      if (reason) reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      else fitting.push(node);
    }
    const now = clock().toISOString().replace(/\.\d+Z$/, 'Z');
    if (fitting.length === 0) {
      const message = unschedulableMessage(nodes.length, reasons);
      const current = (field<{ conditions?: { type: string; message?: string }[] }>(pod, 'status')?.conditions ?? []).find((c) => c.type === 'PodScheduled');
      // The Event first, so that whoever sees the condition also finds the Event that explains it.
      await events.record({ involved: pod, type: 'Warning', reason: 'FailedScheduling', message });
      if (current?.message !== message) {
        await store
          .mutate(kinds.pod, ns, name, (obj) => {
            const status = (obj.status as Record<string, unknown> | undefined) ?? {};
            const conditions = ((status.conditions as { type: string }[] | undefined) ?? []).filter((c) => c.type !== 'PodScheduled');
            conditions.push({ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastProbeTime: null, lastTransitionTime: now } as { type: string });
            obj.status = { phase: 'Pending', ...status, conditions };
          }, { subresource: 'status' })
          .catch(() => undefined);
      }
      return;
    }
    const load = (node: KubeObject): number => pods.filter((p) => field<string>(field(p, 'spec'), 'nodeName') === node.metadata.name).length;
    fitting.sort((a, b) => load(a) - load(b) || a.metadata.name!.localeCompare(b.metadata.name!));
    const target = fitting[0]!.metadata.name!;
    try {
      // The Binding subresource in one step: spec.nodeName, then the PodScheduled condition.
      await store.mutate(kinds.pod, ns, name, (obj) => {
        (obj.spec as Record<string, unknown>).nodeName = target;
      }, { subresource: 'binding' });
      await store.mutate(kinds.pod, ns, name, (obj) => {
        const status = (obj.status as Record<string, unknown> | undefined) ?? {};
        const conditions = ((status.conditions as { type: string }[] | undefined) ?? []).filter((c) => c.type !== 'PodScheduled');
        conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now } as { type: string });
        obj.status = { phase: 'Pending', ...status, conditions };
      }, { subresource: 'status' });
    } catch {
      return; // Deleted or changed while binding; a later change re-queues it.
    }
    await events.record({ involved: pod, type: 'Normal', reason: 'Scheduled', message: `Successfully assigned ${ns}/${name} to ${target}` });
  };

  const onChange = (event: StoreEvent): void => {
    if (stopped) return;
    if (isType(kinds.node, event.resource)) {
      enqueueAllPending();
      return;
    }
    if (!isType(kinds.pod, event.resource) || event.type === 'DELETED') return;
    // Only a new pod or a spec change needs a decision; our own status writes must not re-trigger one.
    const specChanged = !event.oldObject || JSON.stringify(event.oldObject.spec) !== JSON.stringify(event.object.spec);
    const deletionStarted = !!event.object.metadata.deletionTimestamp && !event.oldObject?.metadata.deletionTimestamp;
    if (event.type === 'ADDED' || specChanged || deletionStarted) enqueue(event.object);
  };

  const unsubscribe = store.onChange(onChange);
  enqueueAllPending();
  return {
    stop: () => {
      stopped = true;
      unsubscribe();
    },
  };
}

function needsScheduling(pod: KubeObject): boolean {
  const spec = field<{ nodeName?: string; schedulerName?: string }>(pod, 'spec') ?? {};
  if (spec.nodeName) return false;
  if (spec.schedulerName && spec.schedulerName !== 'default-scheduler') return false;
  const phase = field<string>(field(pod, 'status'), 'phase');
  return phase !== 'Succeeded' && phase !== 'Failed';
}

/** Why a node cannot take the pod, in the scheduler's wording, or undefined when it fits. */
export function unfitReason(pod: KubeObject, node: KubeObject): string | undefined {
  const spec = field<Record<string, unknown>>(pod, 'spec') ?? {};
  const labels = node.metadata.labels ?? {};
  const nodeSpec = field<{ unschedulable?: boolean; taints?: Taint[] }>(node, 'spec') ?? {};
  const tolerations = (spec.tolerations as Toleration[] | undefined) ?? [];
  const ready = (field<{ conditions?: { type: string; status: string }[] }>(node, 'status')?.conditions ?? []).find((c) => c.type === 'Ready');
  if (ready?.status !== 'True') {
    const key = 'node.kubernetes.io/not-ready';
    if (!tolerations.some((t) => tolerates(t, { key, effect: 'NoSchedule' }))) return `node(s) had untolerated taint {${key}: }`;
  }
  if (nodeSpec.unschedulable && !tolerations.some((t) => tolerates(t, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }))) {
    return 'node(s) were unschedulable';
  }
  // Filter plugins run in kube-scheduler's order (NodeUnschedulable, TaintToleration, NodeAffinity); the first failure names the node's reason.
  for (const taint of nodeSpec.taints ?? []) {
    if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
    if (!tolerations.some((t) => tolerates(t, taint))) return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`;
  }
  const selector = (spec.nodeSelector as Record<string, string> | undefined) ?? {};
  const selectorOk = Object.entries(selector).every(([k, v]) => labels[k] === v);
  const terms = (spec.affinity as { nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: { matchExpressions?: Requirement[]; matchFields?: Requirement[] }[] } } } | undefined)
    ?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  // matchFields knows one field, metadata.name: how the DaemonSet controller pins each of its pods to a node.
  const fields = { 'metadata.name': node.metadata.name ?? '' };
  const affinityOk = !terms?.length || terms.some((term) =>
    (term.matchExpressions ?? []).every((r) => requirementMatches(r, labels)) && (term.matchFields ?? []).every((r) => requirementMatches(r, fields)));
  if (!selectorOk || !affinityOk) return "node(s) didn't match Pod's node affinity/selector";
  return undefined;
}

function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.operator === 'Exists') return !t.key || t.key === taint.key;
  return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
}

function requirementMatches(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const value = labels[r.key];
  switch (r.operator) {
    case 'In': return has && (r.values ?? []).includes(value!);
    case 'NotIn': return !has || !(r.values ?? []).includes(value!);
    case 'Exists': return has;
    case 'DoesNotExist': return !has;
    case 'Gt': return has && Number(value) > Number(r.values?.[0]);
    case 'Lt': return has && Number(value) < Number(r.values?.[0]);
    default: return false;
  }
}

/** `0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.` */
export function unschedulableMessage(nodeCount: number, reasons: Map<string, number>): string {
  if (nodeCount === 0) return 'no nodes available to schedule pods';
  const parts = [...reasons].map(([reason, count]) => `${count} ${reason}`).sort();
  return `0/${nodeCount} nodes are available: ${parts.join(', ')}. preemption: 0/${nodeCount} nodes are available: ${nodeCount} Preemption is not helpful for scheduling.`;
}
