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

/** Conditions the harness awaits, as the simulator makes them true. */
export const conditionNames = ['pod-ready', 'ingress-address', 'ingressbackend-committed', 'namespace-gone', 'metrics-scraped'] as const;
export type ConditionName = (typeof conditionNames)[number];

/** Modelled delays on the critical path of a flow (timings.ts field names without the `Ms`). */
export type DelayName = 'imagePull' | 'containerStart' | 'initContainerRun' | 'sidecarReady' | 'ingressBackendStatus' | 'ingressAddress' | 'appGatewayProgram' | 'azureMonitorConfigReload' | 'namespaceDeletion';

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

/** Records a condition made true outside the store (a sidecar answering a Prometheus scrape: `metrics-scraped`). */
export function recordCondition(name: ConditionName, obj: { metadata: { namespace?: string | undefined; name?: string | undefined } }): void {
  if (!file) return;
  write({ t: preciseNow(), type: 'condition', name, namespace: obj.metadata.namespace ?? '', object: obj.metadata.name ?? '' });
}

type Status = { phase?: string; containerStatuses?: { ready?: boolean }[]; loadBalancer?: { ingress?: unknown[] }; currentStatus?: string };
const statusOf = (o: KubeObject | undefined): Status => ((o as { status?: Status } | undefined)?.status ?? {});

function podReady(o: KubeObject | undefined): boolean {
  const s = statusOf(o);
  const total = ((o as { spec?: { containers?: unknown[] } } | undefined)?.spec?.containers ?? []).length;
  return s.phase === 'Running' && total > 0 && (s.containerStatuses ?? []).length === total && (s.containerStatuses ?? []).every((c) => c.ready === true);
}
const hasAddress = (o: KubeObject | undefined): boolean => (statusOf(o).loadBalancer?.ingress ?? []).length > 0;
const committed = (o: KubeObject | undefined): boolean => statusOf(o).currentStatus === 'committed';

const checks: Partial<Record<string, { name: ConditionName; holds: (o: KubeObject | undefined) => boolean }>> = {
  Pod: { name: 'pod-ready', holds: podReady },
  Ingress: { name: 'ingress-address', holds: hasAddress },
  IngressBackend: { name: 'ingressbackend-committed', holds: committed },
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
    const check = checks[o.kind];
    if (!check || event.type === 'DELETED') return;
    if (check.holds(o) && !check.holds(event.type === 'MODIFIED' ? event.oldObject : undefined)) write({ ...at, name: check.name });
  });
}
