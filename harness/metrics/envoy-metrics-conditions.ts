/**
 * Named conditions of the metrics check, over a pod and over metric snapshots, in the wait helper's
 * `Observation` shape: the pod carries the scrape annotations, it is a scrape target that is up, the sidecar's live
 * gauge is 1, and its successful-request counter reached what the suite sent.
 */
import type { V1Namespace, V1Pod } from '@kubernetes/client-node';
import type { MeshMetricsExpectations } from '../mesh/mesh-metrics.ts';
import type { Observation } from '../wait/wait-for.ts';
import type { EnvoyMetricsSnapshot } from './metrics-source.ts';
import { describeSnapshot } from './metrics-source.ts';

/**
 * Every way the pod's annotations differ from what makes it scrapeable (empty when fine), with the namespace's
 * metrics setting in view: missing annotations on a pod of a namespace without metrics enabled get the hint.
 */
export function scrapeAnnotationProblems(pod: V1Pod, m: MeshMetricsExpectations, ns?: { object: V1Namespace | undefined; metricsAnnotation: string }): string[] {
  const annotations = pod.metadata?.annotations ?? {};
  const problems = Object.entries(m.podAnnotations)
    .filter(([k, v]) => annotations[k] !== v)
    .map(([k, v]) => `${k}: expected "${v}", ${annotations[k] === undefined ? 'missing' : `got "${annotations[k]}"`}`);
  if (!problems.length) return [];
  const name = pod.metadata?.namespace ?? '';
  const nsValue = ns?.object?.metadata?.annotations?.[ns.metricsAnnotation];
  const why = ns && nsValue !== 'enabled'
    ? `metrics are not enabled on namespace ${name} (annotation ${ns.metricsAnnotation} is ${nsValue === undefined ? 'absent' : `"${nsValue}"`})`
    : `the injector did not add them when the pod was created`;
  return [...problems, `${why}; ${m.enableHint(name)}`];
}

/** The pod is a scrape target that is up (Prometheus), or rows arrive for it (Log Analytics). */
export function targetUp(m: MeshMetricsExpectations): (s: EnvoyMetricsSnapshot | undefined) => Observation<EnvoyMetricsSnapshot> {
  return (s) => (s ? { done: s.targetUp === true, observed: describeSnapshot(s, m), value: s } : { done: false, observed: 'no snapshot yet' });
}

/** The live gauge is 1 (a source that does not collect it, such as Container insights, passes with a note). */
export function sidecarLive(m: MeshMetricsExpectations): (s: EnvoyMetricsSnapshot | undefined) => Observation<EnvoyMetricsSnapshot> {
  return (s) => (s ? { done: s.live === 1 || s.live === null, observed: describeSnapshot(s, m), value: s } : { done: false, observed: 'no snapshot yet' });
}

/** The successful-request counter has reached `atLeast` (the pod's sidecar was fresh, so it started at 0). */
export function successfulRequestsCounted(m: MeshMetricsExpectations, atLeast: number): (s: EnvoyMetricsSnapshot | undefined) => Observation<EnvoyMetricsSnapshot> {
  return (s) => (s ? { done: (s.successfulRequests ?? 0) >= atLeast, observed: describeSnapshot(s, m), value: s } : { done: false, observed: 'no snapshot yet' });
}
