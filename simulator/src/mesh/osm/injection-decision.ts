/**
 * OSM's `mustInject` (pkg/injector/webhook.go, osm.md §2) as a pure function: whether a pod being
 * created gets the Envoy sidecar. Kept free of the store so the rules can be tested table-driven.
 */
import type { KubeObject } from '../../cluster/types.ts';
import { ignoreLabel, monitoredByLabel, sidecarInjectionAnnotation } from './constants.ts';

export const injectionReasons = [
  'injected-by-pod-annotation',
  'injected-by-namespace-annotation',
  'host-network',
  'namespace-not-injectable',
  'namespace-not-monitored',
  'pod-opted-out',
  'not-enabled',
] as const;
export type InjectionReason = (typeof injectionReasons)[number];

export interface InjectionDecision {
  inject: boolean;
  reason: InjectionReason;
}

/** An annotation value outside enabled/yes/true/disabled/no/false: admission fails with this message. */
export class InjectionAnnotationError extends Error {}

/** Parses the sidecar-injection annotation the way `isAnnotatedForInjection` does. */
export function parseInjectionAnnotation(annotations: Record<string, string> | undefined): { exists: boolean; enabled: boolean } {
  const value = annotations?.[sidecarInjectionAnnotation];
  if (value === undefined) return { exists: false, enabled: false };
  switch (value.toLowerCase()) {
    case 'enabled':
    case 'yes':
    case 'true':
      return { exists: true, enabled: true };
    case 'disabled':
    case 'no':
    case 'false':
      return { exists: true, enabled: false };
    default:
      throw new InjectionAnnotationError(`Invalid annotation value for key "${sidecarInjectionAnnotation}": ${value}`);
  }
}

/** Whether a namespace belongs to the mesh (label `openservicemesh.io/monitored-by=<mesh>`, not ignored). */
export function isMonitoredNamespace(namespace: KubeObject | undefined, meshName: string): boolean {
  const labels = namespace?.metadata.labels ?? {};
  return labels[monitoredByLabel] === meshName && !Object.hasOwn(labels, ignoreLabel);
}

/**
 * Decides injection for `pod` created in `namespace`. Throws InjectionAnnotationError for an invalid
 * annotation value on the pod or (when it matters) on the namespace, as OSM does.
 */
export function decideInjection(pod: KubeObject, namespace: KubeObject | undefined, opts: { meshName: string; osmNamespace: string }): InjectionDecision {
  const podSpec = (pod['spec'] ?? {}) as Record<string, unknown>;
  if (podSpec['hostNetwork'] === true) return { inject: false, reason: 'host-network' };
  const nsName = namespace?.metadata.name ?? pod.metadata.namespace ?? '';
  if (nsName === 'kube-system' || nsName === 'kube-public' || nsName === opts.osmNamespace) return { inject: false, reason: 'namespace-not-injectable' };
  if (!isMonitoredNamespace(namespace, opts.meshName)) return { inject: false, reason: 'namespace-not-monitored' };

  const podAnnotation = parseInjectionAnnotation(pod.metadata.annotations);
  const nsAnnotation = parseInjectionAnnotation(namespace?.metadata.annotations);
  if (podAnnotation.exists && podAnnotation.enabled) return { inject: true, reason: 'injected-by-pod-annotation' };
  if (nsAnnotation.exists && nsAnnotation.enabled) {
    if (!podAnnotation.exists) return { inject: true, reason: 'injected-by-namespace-annotation' };
    return { inject: false, reason: 'pod-opted-out' };
  }
  return { inject: false, reason: podAnnotation.exists ? 'pod-opted-out' : 'not-enabled' };
}
