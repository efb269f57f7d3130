/**
 * What a run reads besides what it writes: pre-flight's and `check`'s probes (control-plane Deployments and their
 * pods, CRDs, webhooks with their Services' endpoints, the metrics backend's Service), mesh detection, and the
 * report's cluster facts. Pre-flight does not review reads (a denied read is its own clear failure); the shipped RBAC
 * grants them (harness/rbac/run-rbac.ts), and the in-cluster self-test proves that every request a run makes is
 * granted. Reads of a profile's own kinds come from the profile (`MeshProfile.reads`, `IngressProfile.reads`).
 */
import type { AccessRequirement } from './access-review.ts';

/**
 * The core's reads, cluster-wide: the mesh's control plane may run in any namespace (detection lists Deployments
 * across the cluster), and the namespaces with injection enabled are found at run time.
 */
export function coreReadRequirements(): AccessRequirement[] {
  return [
    { verbs: ['get', 'list'], group: 'apps', resource: 'deployments', why: 'find the mesh\'s control plane and judge it Ready (pre-flight, mesh detection)' },
    { verbs: ['get', 'list'], group: '', resource: 'pods', why: 'control-plane restarts and pods without a sidecar (pre-flight, check)' },
    { verbs: ['get'], group: '', resource: 'services', why: 'the metrics backend\'s and the ingress controller\'s Services (pre-flight)' },
    { verbs: ['get'], group: '', resource: 'endpoints', why: 'ready endpoints behind the webhooks and the ingress controller (pre-flight)' },
    { verbs: ['get', 'list'], group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions', why: 'the mesh\'s and the ingress\'s CRDs (pre-flight)' },
    { verbs: ['list'], group: 'admissionregistration.k8s.io', resource: 'mutatingwebhookconfigurations', why: 'the sidecar injector\'s webhook (pre-flight)' },
    { verbs: ['list'], group: 'admissionregistration.k8s.io', resource: 'validatingwebhookconfigurations', why: 'the mesh\'s validating webhook (pre-flight)' },
    { verbs: ['get'], group: 'dapr.io', resource: 'configurations', why: 'Dapr\'s global Configuration daprsystem, its mTLS setting (check, when Dapr runs)' },
    { verbs: ['list'], group: '', resource: 'nodes', why: 'the cluster\'s provider for the ConformanceReport (best effort: a denial leaves it unknown)' },
  ];
}
