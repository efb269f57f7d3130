/**
 * The condition log: a JSONL side channel, next to the request log, where the simulator timestamps the moment it
 * makes each condition a harness waits for true (pod Ready, Ingress address published, IngressBackend committed,
 * namespace gone, a sidecar's metrics scraped) and each modelled delay it applies (timings.ts), with the namespace and object it concerns.
 * The benchmark (scripts/bench.mjs) reads it: reaction latency = harness moved on − condition became true, and
 * the floor of a flow = the sum of the delays applied to its namespace. Off unless `--condition-log FILE` is given;
 * nothing is added to the objects themselves, so what the harness sees is unchanged.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { KubeObject, ObjectStore, StoreEvent } from './cluster/types.ts';

/**
 * Conditions the harness awaits, as the simulator makes them true; and the terminal failures a check must report at
 * once (the bench's time to verdict on a broken cluster, issue 17): a container that cannot start (image pull, crash
 * loop) or a pod that cannot be scheduled, a FailedCreate Event, an IngressBackend in `error`, an HTTPRoute whose
 * backend is not found, a sidecar whose RBAC refuses a client certificate's principal (an answer that cannot change
 * while the configuration stays: `principal-refused`).
 */
export const conditionNames = ['pod-ready', 'ingress-address', 'ingressbackend-committed', 'namespace-gone', 'metrics-scraped',
  'pod-terminal', 'failed-create', 'ingressbackend-error', 'route-backend-not-found', 'principal-refused'] as const;
export type ConditionName = (typeof conditionNames)[number];

/** Modelled delays on the critical path of a flow (timings.ts field names without the `Ms`). */
export type DelayName = 'imagePull' | 'containerStart' | 'initContainerRun' | 'sidecarReady' | 'ingressBackendStatus' | 'ingressAddress' | 'appGatewayProgram' | 'azureMonitorConfigReload' | 'namespaceDeletion'
  // Not a preset's delay but upstream's pace: the wait for Flagger's next analysis tick while a Canary initialises.
  | 'canaryInterval';

/** One line: `{"t":1732481234567.123,"type":"condition","name":"pod-ready","namespace":"…","object":"…"}`. */
export type ConditionLogEntry =
  | { t: number; type: 'condition'; name: ConditionName; namespace: string; object: string }
  | { t: number; type: 'delay'; name: DelayName; namespace: string; object: string; ms: number };

/** Epoch milliseconds with sub-millisecond precision, comparable across processes on one machine. */
export const preciseNow = (): number => performance.timeOrigin + performance.now();

let file: string | undefined;

/** Starts writing to `path` (truncated). One simulator per process writes it; in-process tests leave it off. */
export function openConditionLog(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, '');
  file = path;
}

/** Stops writing. */
export function closeConditionLog(): void {
  file = undefined;
}

function write(entry: ConditionLogEntry): void {
  if (file) appendFileSync(file, `${JSON.stringify(entry)}\n`);
}

/** Records a modelled delay as it starts (no-op when the log is off or the delay is zero). */
export function recordDelay(name: DelayName, obj: { metadata: { namespace?: string | undefined; name?: string | undefined } }, ms: number): void {
  if (!file || ms <= 0) return;
  write({ t: preciseNow(), type: 'delay', name, namespace: obj.metadata.namespace ?? '', object: obj.metadata.name ?? '', ms });
}

/** Records a condition made true outside the store (a sidecar answering a Prometheus scrape: `metrics-scraped`; its RBAC refusing a principal). */
export function recordCondition(name: ConditionName, obj: { metadata: { namespace?: string | undefined; name?: string | undefined } }): void {
  if (!file) return;
  write({ t: preciseNow(), type: 'condition', name, namespace: obj.metadata.namespace ?? '', object: obj.metadata.name ?? '' });
}

type ContainerStatus = { ready?: boolean; state?: { waiting?: { reason?: string } } };
type Condition = { type?: string; status?: string; reason?: string };
type Status = {
  phase?: string; containerStatuses?: ContainerStatus[]; initContainerStatuses?: ContainerStatus[]; conditions?: Condition[];
  loadBalancer?: { ingress?: unknown[] }; currentStatus?: string; parents?: { conditions?: Condition[] }[];
};
const statusOf = (o: KubeObject | undefined): Status => ((o as { status?: Status } | undefined)?.status ?? {});

function podReady(o: KubeObject | undefined): boolean {
  const s = statusOf(o);
  const total = ((o as { spec?: { containers?: unknown[] } } | undefined)?.spec?.containers ?? []).length;
  return s.phase === 'Running' && total > 0 && (s.containerStatuses ?? []).length === total && (s.containerStatuses ?? []).every((c) => c.ready === true);
}
const hasAddress = (o: KubeObject | undefined): boolean => (statusOf(o).loadBalancer?.ingress ?? []).length > 0;
const committed = (o: KubeObject | undefined): boolean => statusOf(o).currentStatus === 'committed';

/** Waiting reasons a container does not leave by itself (the harness's terminal classification, harness/wait/). */
const terminalWaiting = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'CrashLoopBackOff', 'CreateContainerConfigError']);
function podTerminal(o: KubeObject | undefined): boolean {
  const s = statusOf(o);
  const waiting = [...(s.initContainerStatuses ?? []), ...(s.containerStatuses ?? [])].some((c) => terminalWaiting.has(c.state?.waiting?.reason ?? ''));
  return waiting || (s.conditions ?? []).some((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable');
}
const policyError = (o: KubeObject | undefined): boolean => statusOf(o).currentStatus === 'error';
const backendNotFound = (o: KubeObject | undefined): boolean =>
  (statusOf(o).parents ?? []).some((p) => (p.conditions ?? []).some((c) => c.type === 'ResolvedRefs' && c.status === 'False' && c.reason === 'BackendNotFound'));

const checks: Partial<Record<string, { name: ConditionName; holds: (o: KubeObject | undefined) => boolean }[]>> = {
  Pod: [{ name: 'pod-ready', holds: podReady }, { name: 'pod-terminal', holds: podTerminal }],
  Ingress: [{ name: 'ingress-address', holds: hasAddress }],
  IngressBackend: [{ name: 'ingressbackend-committed', holds: committed }, { name: 'ingressbackend-error', holds: policyError }],
  HTTPRoute: [{ name: 'route-backend-not-found', holds: backendNotFound }],
};

/** Records every transition of an awaited condition to true, at the moment the store commits it. */
export function watchConditions(store: ObjectStore): () => void {
  if (!file) return () => undefined;
  return store.onChange((event: StoreEvent) => {
    const o = event.object;
    const at = { t: preciseNow(), type: 'condition' as const, namespace: o.metadata.namespace ?? '', object: o.metadata.name ?? '' };
    if (o.kind === 'Namespace') {
      if (event.type === 'DELETED') write({ ...at, name: 'namespace-gone', namespace: o.metadata.name ?? '' });
      return;
    }
    if (o.kind === 'Event' && event.type === 'ADDED' && (o as { reason?: string }).reason === 'FailedCreate') {
      write({ ...at, name: 'failed-create' });
      return;
    }
    if (event.type === 'DELETED') return;
    for (const check of checks[o.kind] ?? []) {
      if (check.holds(o) && !check.holds(event.type === 'MODIFIED' ? event.oldObject : undefined)) write({ ...at, name: check.name });
    }
  });
}
