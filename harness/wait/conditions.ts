import type { V1Container, V1ContainerStatus, V1Namespace, V1Pod } from '@kubernetes/client-node';
import type { Observation } from './wait-for.ts';

/** Container waiting reasons that no amount of waiting fixes within a run. */
export const terminalWaitingReasons = ['ErrImagePull', 'ImagePullBackOff', 'CrashLoopBackOff', 'InvalidImageName', 'CreateContainerConfigError', 'CreateContainerError', 'RunContainerError'] as const;

function containerSummary(statuses: V1ContainerStatus[] | undefined): string[] {
  return (statuses ?? []).map((s) => {
    const state = s.state?.waiting ? `waiting(${s.state.waiting.reason ?? '?'})`
      : s.state?.terminated ? `terminated(${s.state.terminated.reason ?? s.state.terminated.exitCode})`
        : s.state?.running ? 'running' : 'unknown';
    return `${s.name}=${state}${s.ready ? ',ready' : ''}${s.restartCount ? `,restarts=${s.restartCount}` : ''}`;
  });
}

function terminalContainerProblem(statuses: V1ContainerStatus[] | undefined, init: boolean): string | undefined {
  for (const s of statuses ?? []) {
    const reason = s.state?.waiting?.reason;
    if (reason && (terminalWaitingReasons as readonly string[]).includes(reason)) {
      const msg = s.state?.waiting?.message;
      return `${init ? 'init container' : 'container'} ${s.name} is ${init ? `Init:${reason}` : reason}${msg ? `: ${msg}` : ''}`;
    }
  }
  return undefined;
}

/** A native sidecar: an init container with `restartPolicy: Always`, which runs beside the app containers. */
export function isNativeSidecar(c: V1Container): boolean {
  return c.restartPolicy === 'Always';
}

/**
 * The containers kubectl's READY column counts, and how many are ready: the app containers plus native sidecars
 * (restartable init containers), so a pod with a native sidecar reads 2/2 as a classic one does.
 */
export function readyCount(pod: V1Pod): { ready: number; total: number } {
  const natives = new Set((pod.spec?.initContainers ?? []).filter(isNativeSidecar).map((c) => c.name));
  const statuses = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? []).filter((s) => natives.has(s.name))];
  const total = (pod.spec?.containers.length ?? (pod.status?.containerStatuses ?? []).length) + natives.size;
  return { ready: statuses.filter((s) => s.ready).length, total };
}

/** One line describing a pod's state: `phase=Pending, ready=0/2, reason=Unschedulable: …, containers=[…]`. */
export function describePodState(pod: V1Pod): string {
  const statuses = pod.status?.containerStatuses ?? [];
  const { ready, total } = readyCount(pod);
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  const parts = [`phase=${pod.status?.phase ?? 'unknown'}`, `ready=${ready}/${total}`];
  if (scheduled?.status === 'False') parts.push(`reason=${scheduled.reason ?? 'NotScheduled'}: ${scheduled.message ?? ''}`.trim());
  const init = containerSummary(pod.status?.initContainerStatuses);
  if (init.length) parts.push(`init=[${init.join(' ')}]`);
  const main = containerSummary(statuses);
  if (main.length) parts.push(`containers=[${main.join(' ')}]`);
  return parts.join(', ');
}

/**
 * The pod is Running with every container Ready, native sidecars included (2/2 for an injected httpbin). Fails fast on
 * Unschedulable and on image-pull or crash-loop states, quoting the reason.
 */
export function podRunningAndReady(pod: V1Pod | undefined): Observation<V1Pod> {
  if (!pod) return { done: false, observed: 'no pod yet' };
  const observed = `${pod.metadata?.name ?? '?'}: ${describePodState(pod)}`;
  const statuses = pod.status?.containerStatuses ?? [];
  const { ready, total } = readyCount(pod);
  if (pod.status?.phase === 'Running' && total > 0 && ready === total) return { done: true, observed, value: pod };
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    return { done: false, observed, failure: `pod ${pod.metadata?.name ?? '?'} is Unschedulable: ${scheduled.message ?? 'no message'}` };
  }
  const problem = terminalContainerProblem(pod.status?.initContainerStatuses, true) ?? terminalContainerProblem(statuses, false);
  if (problem) return { done: false, observed, failure: problem };
  if (pod.status?.phase === 'Failed') return { done: false, observed, failure: `pod ${pod.metadata?.name ?? '?'} Failed: ${pod.status.reason ?? ''} ${pod.status.message ?? ''}`.trim() };
  return { done: false, observed };
}

/** The newest pod of a set (a Deployment's current pod when an older one is still terminating). */
export function newestPod(pods: V1Pod[]): V1Pod | undefined {
  const live = pods.filter((p) => !p.metadata?.deletionTimestamp);
  const pool = live.length ? live : pods;
  return [...pool].sort((a, b) => String(b.metadata?.creationTimestamp ?? '').localeCompare(String(a.metadata?.creationTimestamp ?? '')))[0];
}

/** The namespace no longer exists (deletion finished, finalizers done). */
export function namespaceGone(ns: V1Namespace | undefined): Observation {
  if (!ns) return { done: true, observed: 'gone' };
  const conditions = (ns.status?.conditions ?? []).filter((c) => c.status === 'True').map((c) => `${c.type}: ${c.message ?? ''}`);
  return { done: false, observed: `phase=${ns.status?.phase ?? 'unknown'}${ns.spec?.finalizers?.length ? `, finalizers=[${ns.spec.finalizers.join(',')}]` : ''}${conditions.length ? `, conditions=[${conditions.join('; ')}]` : ''}` };
}
