/**
 * Named faults: each breaks one behaviour of the simulated cluster on purpose, so that each
 * conformance check is shown to fail on the fault it exists to catch (or, for `pass` faults,
 * to survive a degraded but working cluster). `mesh-conformance sim --list-faults` prints this table.
 * `flavors` limits a fault to the flavors where it has an effect: elsewhere the simulator refuses it (exit 2)
 * rather than run a `fail` fault that cannot fail, and `--list-faults` leaves it out of that flavor's list.
 */
export const faultCatalog = {
  'sidecar-not-injected': { outcome: 'fail', description: 'the injector webhook lets pods through without the envoy sidecar' },
  'sidecar-never-ready': { outcome: 'fail', description: 'the envoy container starts but never becomes ready (pod 1/2)' },
  'init-container-fails': { outcome: 'fail', description: 'osm-init exits 1 (iptables setup fails), the pod stays in Init:CrashLoopBackOff' },
  'pod-unschedulable': { outcome: 'fail', description: 'every node is arm64, so the sample\'s amd64 nodeSelector leaves the pod Pending' },
  'image-pull-error': { outcome: 'fail', description: 'the httpbin image cannot be pulled (ErrImagePull, then ImagePullBackOff)' },
  // aks: the guide's IngressBackend source is an IPRange (the Application Gateway subnet), which has no endpoints
  // to lose, and OSM reports `error` only for a Service source without endpoints (osm.md §3): no equivalent there.
  'ingressbackend-error': { outcome: 'fail', flavors: ['kind'], description: 'the ingress controller Service has no endpoints, so the IngressBackend status is error' },
  'ingressbackend-no-status': { outcome: 'fail', description: 'osm-controller is down: the IngressBackend never gets a status' },
  'ingressbackend-admission-denied': { outcome: 'fail', description: 'the osm-validator webhook denies every IngressBackend' },
  'ingress-no-address': { outcome: 'fail', description: 'the ingress controller never publishes an address on the Ingress' },
  'ingress-stuck-502': { outcome: 'fail', description: 'the sidecar never accepts the ingress source, so requests keep failing with 502 after commit' },
  'app-503': { outcome: 'fail', description: 'the httpbin app answers 503 to every request' },
  'metrics-not-scraped': { outcome: 'fail', description: 'the sidecar serves no /stats/prometheus, so Prometheus never scrapes the pod' },
  'metrics-not-enabled': { outcome: 'fail', description: 'the injector ignores the namespace\'s metrics annotation (as when `osm metrics enable` runs after the pods started): pods get no prometheus.io annotations' },
  'envoy-stats-frozen': { outcome: 'fail', description: 'the sidecar serves its stats but its upstream response counters never move' },
  'prometheus-unreachable': { outcome: 'fail', flavors: ['kind'], description: 'the osm-prometheus service has no endpoints and its proxy answers 503' },
  'service-proxy-forbidden': { outcome: 'pass', description: 'services/proxy answers 403 Forbidden (no RBAC for the proxy verb), so clients must port-forward instead' },
  'access-review-denied': { outcome: 'pass', description: 'SelfSubjectAccessReview denies every verb on ingressbackends (a user without that RBAC); only the pre-flight of a real-target run asks, so a local run passes' },
  'api-slow': { outcome: 'pass', description: 'every API request is delayed by 150 ms' },
  'api-flaky': { outcome: 'pass', description: 'one API request in five fails with 500 or 429 (Retry-After: 1)' },
  'watch-cut': { outcome: 'pass', description: 'watch streams are closed by the server after 1 s' },
} as const satisfies Record<string, { outcome: 'fail' | 'pass'; description: string; flavors?: readonly ('kind' | 'aks')[] }>;

export type FaultName = keyof typeof faultCatalog;

export function isFaultName(name: string): name is FaultName {
  return Object.hasOwn(faultCatalog, name);
}

/** Whether a fault has an effect on a flavor (no `flavors` in the catalogue: on every flavor). */
export function faultAppliesTo(name: FaultName, flavor: string): boolean {
  const fault: { outcome: string; flavors?: readonly string[] } = faultCatalog[name];
  return fault.flavors === undefined || fault.flavors.includes(flavor);
}

/** The faults switched on for one simulator instance. */
export class FaultSet {
  private readonly active: ReadonlySet<FaultName>;

  constructor(names: Iterable<FaultName> = []) {
    this.active = new Set(names);
  }

  has(name: FaultName): boolean {
    return this.active.has(name);
  }

  list(): FaultName[] {
    return [...this.active];
  }
}
