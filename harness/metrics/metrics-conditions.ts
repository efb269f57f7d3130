/**
 * Named conditions of the metrics check that hold for any mesh, in the wait helper's `Observation` shape: the pod
 * carries the mesh's scrape annotations, and it is a scrape target that is up. What the series must show is the
 * mesh profile's (`MeshMetrics.assessments`).
 */
import type { V1Namespace, V1Pod } from '@kubernetes/client-node';
import type { Observation } from '../wait/wait-for.ts';
import type { MeshMetrics } from './mesh-metrics.ts';
import type { TargetState } from './metrics-source.ts';

/**
 * Every way the pod's annotations differ from what makes it scrapeable (empty when fine), with the namespace in view:
 * the mesh explains missing annotations (metrics not enabled on the namespace) and says how to enable them.
 */
export function scrapeAnnotationProblems(pod: V1Pod, m: MeshMetrics, ns: V1Namespace | undefined): string[] {
  const annotations = pod.metadata?.annotations ?? {};
  const problems = Object.entries(m.podAnnotations)
    .filter(([k, v]) => annotations[k] !== v)
    .map(([k, v]) => `${k}: expected "${v}", ${annotations[k] === undefined ? 'missing' : `got "${annotations[k]}"`}`);
  if (!problems.length) return [];
  const name = pod.metadata?.namespace ?? '';
  const why = m.whyNotAnnotated(ns) ?? 'the injector did not add them when the pod was created';
  return [...problems, `${why}; ${m.enableHint(name)}`];
}

/** The pod is a scrape target that is up (Prometheus), or rows arrive for it (Log Analytics). */
export function targetUp(s: TargetState | undefined): Observation<TargetState> {
  return s ? { done: s.up === true, observed: `target ${s.text}`, value: s } : { done: false, observed: 'no answer yet' };
}
