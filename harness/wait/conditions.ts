import type { KubernetesObject, V1ContainerStatus, V1Ingress, V1Namespace, V1Pod } from '@kubernetes/client-node';
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

/** One line describing a pod's state: `phase=Pending, ready=0/2, reason=Unschedulable: …, containers=[…]`. */
export function describePodState(pod: V1Pod): string {
  const statuses = pod.status?.containerStatuses ?? [];
  const total = pod.spec?.containers.length ?? statuses.length;
  const ready = statuses.filter((s) => s.ready).length;
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
 * The pod is Running with every container Ready (2/2 for an injected httpbin). Fails fast on
 * Unschedulable and on image-pull or crash-loop states, quoting the reason.
 */
export function podRunningAndReady(pod: V1Pod | undefined): Observation<V1Pod> {
  if (!pod) return { done: false, observed: 'no pod yet' };
  const observed = `${pod.metadata?.name ?? '?'}: ${describePodState(pod)}`;
  const statuses = pod.status?.containerStatuses ?? [];
  const total = pod.spec?.containers.length ?? 0;
  const allReady = total > 0 && statuses.length === total && statuses.every((s) => s.ready);
  if (pod.status?.phase === 'Running' && allReady) return { done: true, observed, value: pod };
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

/** Where an Ingress can be reached, from its published `status.loadBalancer.ingress[0]`. */
export interface IngressAddress {
  host: string;
  port: number;
  url: string;
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

/** The namespace no longer exists (deletion finished, finalizers done). */
export function namespaceGone(ns: V1Namespace | undefined): Observation {
  if (!ns) return { done: true, observed: 'gone' };
  const conditions = (ns.status?.conditions ?? []).filter((c) => c.status === 'True').map((c) => `${c.type}: ${c.message ?? ''}`);
  return { done: false, observed: `phase=${ns.status?.phase ?? 'unknown'}${ns.spec?.finalizers?.length ? `, finalizers=[${ns.spec.finalizers.join(',')}]` : ''}${conditions.length ? `, conditions=[${conditions.join('; ')}]` : ''}` };
}

/** The object exists (any state). */
export function objectExists<T extends KubernetesObject>(obj: T | undefined): Observation<T> {
  return obj ? { done: true, observed: 'exists', value: obj } : { done: false, observed: 'not found' };
}
