/**
 * What a conformance run must do under each named fault: the one check that fails and the shape of its
 * message, as labelled fragments. The fault list itself is read at run time from `mesh-conformance sim
 * --list-faults`; a fault without an entry here fails the matrix (and an entry for a fault the simulator no
 * longer has fails it too). docs/faults.md is rendered from this table (selftest/faults-doc.ts).
 *
 * Fragment syntax (templates.ts): `<ns>` the run namespace, `<pod>` the httpbin pod, `<n>` a number,
 * `<url>` a URL, `<rollout>`/`<assert>`/`<http>`/`<metrics>` the run's budget of that class as printed
 * (`10s`), `…` any text, `{a|b}` one of the alternatives (braces without `|` are literal). Everything else is literal.
 */

import type { CheckId } from '../harness/checks/catalogue.ts';

/** The message parts a failure must name: a timeout names the limit and the last state seen, a fail-fast the observed reason. */
export interface TimeoutMessage {
  kind: 'timeout';
  object: string;
  expected: string;
  lastSeen: string;
  limit: string;
}
export interface FailFastMessage {
  kind: 'fail-fast';
  object: string;
  expected: string;
  observed: string;
}
export type MessageShape = TimeoutMessage | FailFastMessage;

export interface FailExpectation {
  outcome: 'fail';
  /** The check (catalogue id) that must fail; every other check passes or is skipped as depending on it. */
  check: CheckId;
  message: MessageShape;
  /** The failed check sent HTTP requests through the ingress: the last exchanges must be attached. */
  http?: boolean;
  /** On OSM on aks, where it differs from `http`: AGIC publishes the address before the route, so the refusal is proven after the 200 and a policy failure comes before any request. */
  aksHttp?: boolean;
  /** Run on the aks flavor too: the fault goes through a path that differs there (ingress, control plane, metrics). */
  aks?: boolean;
  /** The ingress profile the fault breaks, when it is not the cluster's default: the matrix runs it with `--ingress` set so (agc: Application Gateway for Containers on aks). */
  ingress?: 'agc';
  /** The message on aks, where it differs from kind's. */
  aksMessage?: MessageShape;
  /** The message on the Istio clusters, where it differs (another mesh's names); `istioAksMessage` for Istio on AKS. */
  istioMessage?: MessageShape;
  istioAksMessage?: MessageShape;
}

/** The message a fault's run must show on a simulated cluster. */
export function messageFor(e: FailExpectation, target: 'kind' | 'aks' | 'istio-kind' | 'istio-aks'): MessageShape {
  if (target === 'istio-aks') return e.istioAksMessage ?? e.istioMessage ?? e.aksMessage ?? e.message;
  if (target === 'istio-kind') return e.istioMessage ?? e.message;
  return target === 'aks' ? e.aksMessage ?? e.message : e.message;
}
/** Whether the failed check must attach the HTTP exchanges it sent, on a simulated cluster. */
export function httpFor(e: FailExpectation, target: 'kind' | 'aks' | 'istio-kind' | 'istio-aks'): boolean {
  return (target === 'aks' ? e.aksHttp ?? e.http : e.http) === true;
}
export interface PassExpectation {
  outcome: 'pass';
  aks?: boolean;
  /** Why the run must survive it (docs/faults.md). */
  survives: string;
  /** Extended checks it takes the feature from: the run skips them as unsupported, with the reason's fragment. */
  unavailable?: Partial<Record<CheckId, string>>;
}
export type FaultExpectation = FailExpectation | PassExpectation;

/** A simulated cluster of the matrix. */
export type SimClusterName = 'kind' | 'aks' | 'istio-kind' | 'istio-aks';

/** The simulated cluster that serves each ingress profile an expectation names in `ingress` (besides its default one). */
export const ingressServedOn: Record<NonNullable<FailExpectation['ingress']>, SimClusterName> = { agc: 'aks' };

/**
 * Where each extended check's feature is present on the simulator (its clean run passes it, and a fault there makes
 * it fail); on the other clusters the clean run skips it as unsupported, with the reason. Every extended check in the
 * catalogue needs an entry (the matrix checks it), and docs/faults.md lists them.
 */
export const extendedChecksOn: Partial<Record<CheckId, readonly SimClusterName[]>> = {
  // Both meshes publish their root and give each sidecar a certificate for its identity (docs/certificates.md).
  'workload-identity': ['kind', 'aks', 'istio-kind', 'istio-aks'],
  'external-authorization': ['kind'], // OPA-Envoy is installed on the kind flavor only (docs/external-authorization.md); Istio's profile lacks the feature.
  // OSM with ingress-nginx (kind): AGIC on aks speaks only HTTP to backends, the Istio profile does not list it (docs/ingress-mtls.md).
  'ingress-mtls': ['kind'],
  'dapr-invocation': ['kind'], // Dapr runs on the kind flavor only (docs/dapr.md); the Istio profile gives no Dapr guidance.
  canary: ['kind'], // Flagger runs on the kind flavor only, driving OSM (docs/flagger.md); the other flavors run none.
};

const podWaitFailFast = (observed: string): FailFastMessage => ({
  kind: 'fail-fast',
  object: 'Pod <ns>/<pod>',
  expected: 'to be Running with 2/2 ready',
  observed,
});

/** The httpbin image cannot be pulled (in every namespace, or in the only one a run of one copy has). */
const imagePullFailure: FaultExpectation = {
  outcome: 'fail', check: 'httpbin',
  message: podWaitFailFast('container httpbin is {ErrImagePull|ImagePullBackOff}: …kennethreitz/httpbin'),
  istioMessage: podWaitFailFast('container httpbin is {ErrImagePull|ImagePullBackOff}: …mccutchen/go-httpbin'),
};

export const faultExpectations: Record<string, FaultExpectation> = {
  'namespace-onboarding-stripped': {
    outcome: 'fail', check: 'namespace', aks: true,
    message: { kind: 'fail-fast', object: 'Namespace <ns>', expected: 'to read back the mesh\'s onboarding labels and annotations', observed: 'the API server stored it without what the harness had just set (labels["openservicemesh.io/monitored-by"]: expected "osm", got <missing>…): an admission webhook or policy removes it, so waiting cannot help' },
    istioMessage: { kind: 'fail-fast', object: 'Namespace <ns>', expected: 'to read back the mesh\'s onboarding labels and annotations', observed: 'the API server stored it without what the harness had just set (labels["istio.io/rev"]: expected "asm-1-30", got <missing>…): an admission webhook or policy removes it, so waiting cannot help' },
  },
  'sidecar-not-injected': {
    outcome: 'fail', check: 'httpbin',
    message: { kind: 'fail-fast', object: 'Pod <ns>/<pod>', expected: 'expected 2/2 (httpbin and the envoy sidecar)', observed: 'is Running with 1/1 ready' },
  },
  'sidecar-never-ready': {
    outcome: 'fail', check: 'httpbin',
    message: { kind: 'timeout', object: 'Pod <ns>/<pod>', expected: 'to be Running with 2/2 ready', lastSeen: 'last seen: <pod>: phase=Running, ready=1/2', limit: 'Timed out after <rollout>' },
  },
  'init-container-fails': {
    outcome: 'fail', check: 'httpbin',
    message: podWaitFailFast('init container osm-init is Init:{CrashLoopBackOff|Error}'),
  },
  'pod-unschedulable': {
    outcome: 'fail', check: 'httpbin',
    message: podWaitFailFast('is Unschedulable: 0/<n> nodes are available: … didn\'t match Pod\'s node affinity/selector'),
  },
  'pod-security-baseline': {
    outcome: 'fail', check: 'httpbin',
    message: { kind: 'fail-fast', object: 'Pod <ns>/(app=httpbin)', expected: 'to be Running with 2/2 ready', observed: 'cannot create its pods (FailedCreate): pods "httpbin-…" is forbidden: violates PodSecurity "baseline:latest": non-default capabilities (container "osm-init" must not include "NET_ADMIN"' },
    istioMessage: { kind: 'fail-fast', object: 'Pod <ns>/(app=httpbin)', expected: 'to be Running with 2/2 ready', observed: 'cannot create its pods (FailedCreate): pods "httpbin-…" is forbidden: violates PodSecurity "baseline:latest": non-default capabilities (container "istio-init" must not include "NET_ADMIN", "NET_RAW"' },
  },
  'image-pull-error': imagePullFailure,
  // One namespace only: a run of one copy fails as with image-pull-error (selftest/concurrent-flows.spec.ts runs three).
  'image-pull-error-one-namespace': imagePullFailure,
  'ingressbackend-error': {
    outcome: 'fail', check: 'ingress', http: true,
    message: { kind: 'fail-fast', object: 'IngressBackend <ns>/httpbin', expected: 'to be committed', observed: 'IngressBackend status is error: endpoints not found for service ingress-nginx/ingress-nginx-controller' },
  },
  'ingressbackend-no-status': {
    outcome: 'fail', check: 'ingress', http: true, aksHttp: false, aks: true,
    message: { kind: 'timeout', object: 'IngressBackend <ns>/httpbin', expected: 'to be committed', lastSeen: 'last seen: currentStatus=<empty>', limit: 'Timed out after <assert>' },
  },
  'ingressbackend-admission-denied': {
    outcome: 'fail', check: 'ingress', http: true, aksHttp: false, aks: true,
    message: { kind: 'fail-fast', object: 'ingressbackends/httpbin', expected: 'PATCH /apis/policy.openservicemesh.io/v1alpha1/namespaces/<ns>/ingressbackends/httpbin', observed: 'admission webhook "osm-validator.k8s.io" denied the request' },
  },
  'ingress-no-address': {
    outcome: 'fail', check: 'ingress', aks: true,
    message: { kind: 'timeout', object: 'Ingress <ns>/httpbin', expected: 'to have an address in status.loadBalancer.ingress', lastSeen: 'last seen: status.loadBalancer={}', limit: 'Timed out after <assert>' },
  },
  'ingress-stuck-502': {
    outcome: 'fail', check: 'ingress', http: true, aks: true,
    message: { kind: 'timeout', object: 'GET <url>/get', expected: 'to return 200 with x-envoy-upstream-service-time <n> times in a row', lastSeen: 'last seen: {HEAD|GET} /get → 502', limit: 'Timed out after <http>' },
  },
  'app-503': {
    outcome: 'fail', check: 'ingress', http: true, aks: true,
    message: { kind: 'timeout', object: 'GET <url>/get', expected: 'to return 200 with x-envoy-upstream-service-time <n> times in a row', lastSeen: 'last seen: {HEAD|GET} /get → 503', limit: 'Timed out after <http>' },
    istioMessage: { kind: 'timeout', object: 'GET <url>/get', expected: 'to return 200 through the workload\'s sidecar over mTLS from the gateway (X-Forwarded-Client-Cert echoed) <n> times in a row', lastSeen: 'last seen: {HEAD|GET} /get → 503', limit: 'Timed out after <http>' },
  },
  'metrics-not-scraped': {
    outcome: 'fail', check: 'metrics', aks: true,
    message: { kind: 'timeout', object: 'pod <ns>/<pod>', expected: 'to be a scrape target that is up', lastSeen: 'last seen: target down: …:15010: connect: connection refused', limit: 'Timed out after <metrics>' },
    aksMessage: { kind: 'timeout', object: 'pod <ns>/<pod>', expected: 'to be a scrape target that is up', lastSeen: 'last seen: target not collected yet (no InsightsMetrics rows', limit: 'Timed out after <metrics>' },
    istioMessage: { kind: 'timeout', object: 'pod <ns>/<pod>', expected: 'to be a scrape target that is up', lastSeen: 'last seen: target down: …15020/stats/prometheus', limit: 'Timed out after <metrics>' },
    istioAksMessage: { kind: 'timeout', object: 'pod <ns>/<pod>', expected: 'to be a scrape target that is up', lastSeen: 'last seen: target down (its up series is 0)', limit: 'Timed out after <metrics>' },
  },
  'metrics-not-enabled': {
    outcome: 'fail', check: 'metrics', aks: true,
    message: { kind: 'fail-fast', object: 'Pod <ns>/<pod> cannot be scraped', expected: 'prometheus.io/scrape: expected "true", missing', observed: 'the injector did not add them when the pod was created; enable metrics before the pods start' },
  },
  // The agent scrapes, the workspace stores nothing: `check` fails its line metrics/log-analytics-rows once a listed
  // namespace's pods have run longer than the metrics budget (selftest/check-insights-rows.spec.ts).
  'insights-metrics-not-collected': {
    outcome: 'fail', check: 'metrics', aks: true,
    message: { kind: 'timeout', object: 'pod <ns>/<pod>', expected: 'to be a scrape target that is up', lastSeen: 'last seen: target not collected yet (no InsightsMetrics rows', limit: 'Timed out after <metrics>' },
  },
  'envoy-stats-frozen': {
    outcome: 'fail', check: 'metrics', aks: true,
    message: { kind: 'timeout', object: 'pod <ns>/<pod>', expected: 'envoy_cluster_upstream_rq_xx{envoy_cluster_name="<ns>/httpbin…local",envoy_response_code_class="2"} to reach at least <n>', lastSeen: 'last seen: envoy_cluster_upstream_rq_xx{envoy_cluster_name="<ns>/httpbin…local",envoy_response_code_class="2"}={0|no series}', limit: 'Timed out after <metrics>' },
    istioMessage: { kind: 'timeout', object: 'pod <ns>/<pod>', expected: 'istio_requests_total{reporter="destination",destination_workload_namespace="<ns>",destination_workload="httpbin",response_code="200",source_principal="spiffe://…"} to reach at least <n>', lastSeen: 'last seen: istio_requests_total{…}={0|no series}', limit: 'Timed out after <metrics>' },
  },
  // The old query over every Envoy cluster would pass here: envoy-metrics-cluster counts Prometheus's scrapes (issue 14).
  'metrics-miss-ingress-traffic': {
    outcome: 'fail', check: 'metrics', aks: true,
    message: { kind: 'timeout', object: 'pod <ns>/<pod>', expected: 'envoy_cluster_upstream_rq_xx{envoy_cluster_name="<ns>/httpbin…local",envoy_response_code_class="2"} to reach at least <n>', lastSeen: 'last seen: envoy_cluster_upstream_rq_xx{envoy_cluster_name="<ns>/httpbin…local",envoy_response_code_class="2"}={0|no series}', limit: 'Timed out after <metrics>' },
    istioMessage: { kind: 'timeout', object: 'pod <ns>/<pod>', expected: 'istio_requests_total{reporter="destination",destination_workload_namespace="<ns>",destination_workload="httpbin",response_code="200",source_principal="spiffe://…"} to reach at least <n>', lastSeen: 'last seen: istio_requests_total{…}={0|no series}', limit: 'Timed out after <metrics>' },
  },
  'prometheus-unreachable': {
    outcome: 'fail', check: 'metrics',
    message: { kind: 'fail-fast', object: 'Service osm-system/osm-prometheus port 7070', expected: 'Prometheus is unreachable', observed: 'answered 503 ServiceUnavailable: no endpoints available for service "osm-prometheus"' },
    istioMessage: { kind: 'fail-fast', object: 'Service istio-system/prometheus port 9090', expected: 'Prometheus is unreachable', observed: 'answered 503 ServiceUnavailable: no endpoints available for service "prometheus"' },
  },
  // Extended: workload identity (docs/certificates.md).
  'foreign-ca-certificate': {
    outcome: 'fail', check: 'workload-identity', aks: true,
    message: { kind: 'fail-fast', object: 'Pod <ns>/<pod> sidecar certificate (SDS secret service-cert:<ns>/httpbin)', expected: 'was expected to be issued by the mesh\'s CA (Secret osm-system/osm-ca-bundle key ca.crt)', observed: 'that root\'s key does not verify its signature: it comes from another CA with the same name' },
    aksMessage: { kind: 'fail-fast', object: 'Pod <ns>/<pod> sidecar certificate (SDS secret service-cert:<ns>/httpbin)', expected: 'was expected to be issued by the mesh\'s CA (Secret kube-system/osm-ca-bundle key ca.crt)', observed: 'that root\'s key does not verify its signature: it comes from another CA with the same name' },
    istioMessage: { kind: 'fail-fast', object: 'Pod <ns>/<pod> sidecar certificate (SDS secret default)', expected: 'was expected to be issued by the mesh\'s CA (ConfigMap <ns>/istio-ca-root-cert key root-cert.pem)', observed: 'that root\'s key does not verify its signature: it comes from another CA with the same name' },
    istioAksMessage: { kind: 'fail-fast', object: 'Pod <ns>/<pod> sidecar certificate (SDS secret default)', expected: 'was expected to be issued by the mesh\'s CA (ConfigMap <ns>/istio-ca-root-cert key root-cert.pem)', observed: 'that root\'s key does not verify its signature: it comes from another CA with the same name' },
  },
  'ext-authz-bypassed': { outcome: 'fail', check: 'external-authorization', http: true, message: { kind: 'timeout', object: 'GET <url>/get (Host: <ns>.mesh-conformance.test, x-mesh-conformance-authz: deny)', expected: 'to be denied with 403 by the sidecar\'s external authorization (opa.opa.svc.cluster.local:9191 (failureModeAllow false, timeout 1s, MeshConfig osm-system/osm-mesh-config)) <n> times in a row', lastSeen: 'last seen: GET /get with x-mesh-conformance-authz → 200 (…): the request was let through', limit: 'Timed out after <http>' } },
  'ext-authz-unreachable': { outcome: 'fail', check: 'external-authorization', http: true, message: { kind: 'timeout', object: 'HEAD and GET <url>/get (Host: <ns>.mesh-conformance.test) without x-mesh-conformance-authz', expected: 'to be allowed by the external authorization (opa.opa.svc.cluster.local:9191 (failureModeAllow false, timeout 1s, MeshConfig osm-system/osm-mesh-config)) and return 200 with x-envoy-upstream-service-time <n> times in a row', lastSeen: 'last seen: {HEAD|GET} /get → 403', limit: 'Timed out after <http>' } },
  // Extended: ingress over mTLS (docs/ingress-mtls.md).
  'ingress-gateway-cert-not-issued': {
    outcome: 'fail', check: 'ingress-mtls',
    message: { kind: 'timeout', object: 'Secret <ns>/osm-nginx-client-cert', expected: 'to hold ca.crt, tls.crt, tls.key with a certificate for DNS:ingress-nginx-controller.ingress-nginx.cluster.local', lastSeen: 'last seen: Secret <ns>/osm-nginx-client-cert not found', limit: 'Timed out after <assert>' },
  },
  'ingress-mtls-wrong-principal': {
    outcome: 'fail', check: 'ingress-mtls', http: true,
    // The sidecar's RBAC answers 403 once the handshake succeeded: certain at once, not a timeout.
    message: { kind: 'fail-fast', object: 'HEAD and GET <url>/get', expected: 'over mTLS to the backend to return 200 with x-envoy-upstream-service-time <n> times in a row', observed: 'its RBAC refused the client certificate (403 RBAC: access denied) although the IngressBackend admits' },
  },
  // OSM's Vault provider, sealed: osm-injector cannot issue the bootstrap certificate, so it refuses the pod (docs/certificates.md).
  'vault-sealed': {
    outcome: 'fail', check: 'httpbin',
    message: { kind: 'fail-fast', object: 'Pod <ns>/(app=httpbin)', expected: 'to be Running with 2/2 ready', observed: 'cannot create its pods (FailedCreate): admission webhook "osm-inject.k8s.io" denied the request: Error making API request.' },
  },
  'cert-manager-issuer-not-ready': { outcome: 'pass', survives: 'certificate issuance through cert-manager is not emulated (simulator/README.md); `check` fails certificates/cert-manager (selftest/integrations-check.spec.ts)' },
  // Extended: Dapr beside the mesh (docs/dapr.md).
  'dapr-api-intercepted': {
    outcome: 'fail', check: 'dapr-invocation',
    message: { kind: 'fail-fast', object: 'Pod <ns>/dapr-client-…', expected: 'to be Running with 3/3 ready', observed: 'container daprd is CrashLoopBackOff: …' },
  },
  'root-ca-expiring': { outcome: 'pass', survives: 'a root that expires in 10 days still verifies every certificate; `check` warns (certificates/root-ca, selftest/integrations-check.spec.ts)' },
  // Readiness only (docs/grafana.md): the run reads Prometheus directly, `check` fails the Grafana line.
  // Extended: Flagger's Canary initialisation (docs/flagger.md).
  'flagger-canary-stuck': {
    outcome: 'fail', check: 'canary',
    message: { kind: 'timeout', object: 'Canary <ns>/httpbin', expected: 'to reach phase Initialized (the rollout budget <rollout> plus two of Flagger\'s 10s analysis intervals)', lastSeen: 'last seen: phase=<none>; Flagger recorded no warning on it', limit: 'Timed out after <n>s' },
  },
  'flagger-routing-not-written': {
    outcome: 'fail', check: 'canary',
    message: { kind: 'fail-fast', object: 'TrafficSplit <ns>/httpbin (split.smi-spec.io/v1alpha2)', expected: 'Flagger (-mesh-provider=osm) writes it for Open Service Mesh (OSM) before it sets Initialized', observed: 'not found after the Canary reached Initialized' },
  },
  // Readiness only (docs/flagger.md): a run does not use Flagger; `check` fails the line.
  'flagger-default-provider': {
    outcome: 'pass', survives: 'the extended check canary is skipped (Flagger drives another mesh); `check` fails flagger/<ns>/flagger/provider (selftest/integrations-check.spec.ts)',
    unavailable: { canary: 'Flagger osm-system/flagger runs with -mesh-provider=istio (the default: the flag is absent), not osm' },
  },
  'flagger-default-metrics-server': { outcome: 'pass', survives: 'a run does not use Flagger; `check` fails flagger/<ns>/flagger/metrics-server (selftest/integrations-check.spec.ts)' },
  // Readiness (docs/dapr.md): `check` fails or warns on the line; the run's dapr-invocation check does not need what they break.
  'dapr-placement-down': { outcome: 'pass', survives: 'service invocation needs no placement server (actors only), so dapr-invocation passes; `check` fails dapr/control-plane (selftest/integrations-check.spec.ts)' },
  'dapr-mtls-enabled': { outcome: 'pass', survives: 'the simulated daprd does not use sentry, so invocation works; `check` warns on dapr/mtls (selftest/integrations-check.spec.ts)' },
  'dapr-ports-intercepted': { outcome: 'pass', survives: 'dapr-invocation\'s client excludes every control-plane port on itself; `check` fails dapr/ports for the demo pod that does not exclude 50005 and 8201 (selftest/integrations-check.spec.ts)' },
  'grafana-datasource-wrong-port': { outcome: 'pass', survives: 'a run reads Prometheus directly, not through Grafana; `check` fails metrics/grafana/Prometheus (selftest/integrations-check.spec.ts)' },
  'service-proxy-forbidden': {
    outcome: 'pass',
    survives: 'the metrics check falls back from the services/proxy subresource to a port-forward',
  },
  'access-review-denied': { outcome: 'pass', survives: 'only the pre-flight of a real-target run asks SelfSubjectAccessReview; a local run does not' },
  'api-slow': { outcome: 'pass', survives: 'every wait has a budget far above 150 ms per request' },
  'api-flaky': { outcome: 'pass', survives: 'API calls retry 5xx and 429 (honouring Retry-After) within the apply budget; creates are not repeated' },
  'watch-cut': { outcome: 'pass', survives: 'watches relist and resume when the server closes the stream' },

  // Istio (the istio-kind and istio-aks clusters).
  'istio-injection-skipped': {
    outcome: 'fail', check: 'httpbin',
    message: { kind: 'fail-fast', object: 'Pod <ns>/<pod>', expected: 'expected 2/2 (httpbin and the istio-proxy sidecar)', observed: 'is Running with 1/1 ready' },
  },
  'istio-revision-missing': {
    outcome: 'fail', check: 'httpbin',
    message: { kind: 'fail-fast', object: 'Pod <ns>/<pod>', expected: 'expected 2/2 (httpbin and the istio-proxy sidecar)', observed: 'is Running with 1/1 ready' },
  },
  'native-sidecar-never-ready': {
    outcome: 'fail', check: 'httpbin', aks: true,
    message: { kind: 'timeout', object: 'Pod <ns>/<pod>', expected: 'to be Running with 2/2 ready', lastSeen: 'last seen: <pod>: phase=Pending, ready=0/2, init=[{istio-init|istio-validation}=terminated(Completed),ready istio-proxy=running]', limit: 'Timed out after <rollout>' },
  },
  'gateway-not-programmed': {
    outcome: 'fail', check: 'ingress',
    message: { kind: 'timeout', object: 'Gateway <ns>/httpbin', expected: 'to be Accepted and Programmed, with its listeners', lastSeen: 'last seen: Accepted=True, Programmed=False (AddressNotAssigned', limit: 'Timed out after <assert>' },
  },
  'httproute-backend-not-found': {
    outcome: 'fail', check: 'ingress',
    message: { kind: 'fail-fast', object: 'HTTPRoute <ns>/httpbin', expected: 'to be Accepted with its references resolved', observed: 'the HTTPRoute cannot work as written: ResolvedRefs=False (BackendNotFound: backend(httpbin.<ns>.svc.cluster.local) not found)' },
  },
  // The frontend's FQDN is the address the ingress check sends to; until it resolves, not even the refusal is seen.
  'agc-frontend-unresolvable': {
    outcome: 'fail', check: 'ingress', http: true, aks: true, ingress: 'agc',
    message: { kind: 'timeout', object: 'GET <url>/get', expected: 'to return 502 or 503 <n> times in a row', lastSeen: 'last seen: error: GET <url>/get failed after <n>ms: Error: getaddrinfo ENOTFOUND', limit: 'Timed out after <http>' },
  },
  'authz-deny-ignored': {
    outcome: 'fail', check: 'ingress', http: true, aks: true,
    message: { kind: 'timeout', object: 'GET <url>/get', expected: 'to return 403 "RBAC: access denied" <n> times in a row', lastSeen: 'last seen: GET /get → 200', limit: 'Timed out after <http>' },
  },
  'authz-allow-ignored': {
    outcome: 'fail', check: 'ingress', http: true, aks: true,
    message: { kind: 'timeout', object: 'GET <url>/get', expected: 'to return 200 through the workload\'s sidecar over mTLS from the gateway (X-Forwarded-Client-Cert echoed) <n> times in a row', lastSeen: 'last seen: {HEAD|GET} /get → 403', limit: 'Timed out after <http>' },
  },
  // Without mTLS the gateway has no principal, so the ALLOW for its principal cannot match: the ingress check catches it.
  'mtls-disabled': {
    outcome: 'fail', check: 'ingress', http: true, aks: true,
    message: { kind: 'timeout', object: 'GET <url>/get', expected: 'to return 200 through the workload\'s sidecar over mTLS from the gateway (X-Forwarded-Client-Cert echoed) <n> times in a row', lastSeen: 'last seen: {HEAD|GET} /get → 403', limit: 'Timed out after <http>' },
  },
  // On a migrated cluster `migrate verify` catches it (selftest/migrate.spec.ts): translated TrafficTargets allow routes by prefix.
  'authz-path-prefix-ignored': { outcome: 'pass', aks: true, survives: 'the conformance flow\'s AuthorizationPolicy names no paths; `migrate verify` on a migrated cluster fails on it (routes allowed by prefix are refused)' },
  'classic-sidecars': { outcome: 'pass', aks: true, survives: 'the Istio profile accepts a classic istio-proxy container as it accepts a native sidecar' },
  'watch-expired': { outcome: 'pass', survives: 'a watch resumed from an expired resourceVersion gets 410 Gone and relists before it watches again' },
};
