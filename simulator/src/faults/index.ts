/**
 * The fault registry: every named fault, in the order `mesh-conformance sim --list-faults` prints them. Each fault
 * breaks one behaviour of the simulated cluster on purpose, so that each conformance check is shown to fail on the
 * fault it exists to catch (or, for `pass` faults, to survive a degraded but working cluster).
 * Adding a fault: a module in this folder (fault.ts) and one line here.
 */
import { combineHooks } from '../hooks.ts';
import type { SimHooks } from '../hooks.ts';
import { accessReviewDenied } from './access-review-denied.ts';
import { agcFrontendUnresolvable } from './agc-frontend-unresolvable.ts';
import { authzAllowIgnored } from './authz-allow-ignored.ts';
import { authzPathPrefixIgnored } from './authz-path-prefix-ignored.ts';
import { authzDenyIgnored } from './authz-deny-ignored.ts';
import { classicSidecars } from './classic-sidecars.ts';
import { gatewayNotProgrammed } from './gateway-not-programmed.ts';
import { httprouteBackendNotFound } from './httproute-backend-not-found.ts';
import { istioInjectionSkipped } from './istio-injection-skipped.ts';
import { istioRevisionMissing } from './istio-revision-missing.ts';
import { metricsMissIngressTraffic } from './metrics-miss-ingress-traffic.ts';
import { mtlsDisabled } from './mtls-disabled.ts';
import { nativeSidecarNeverReady } from './native-sidecar-never-ready.ts';
import { apiFlaky } from './api-flaky.ts';
import { apiSlow } from './api-slow.ts';
import { app503 } from './app-503.ts';
import { daprApiIntercepted } from './dapr-api-intercepted.ts';
import { daprMtlsEnabled } from './dapr-mtls-enabled.ts';
import { daprPlacementDown } from './dapr-placement-down.ts';
import { daprPortsIntercepted } from './dapr-ports-intercepted.ts';
import { envoyStatsFrozen } from './envoy-stats-frozen.ts';
import { extAuthzBypassed } from './ext-authz-bypassed.ts';
import { extAuthzUnreachable } from './ext-authz-unreachable.ts';
import { foreignCaCertificate } from './foreign-ca-certificate.ts';
import { ingressGatewayCertNotIssued } from './ingress-gateway-cert-not-issued.ts';
import { ingressMtlsWrongPrincipal } from './ingress-mtls-wrong-principal.ts';
import type { Fault, FaultEnv } from './fault.ts';
import type { FlavorName } from '../flavors/names.ts';
import { flaggerDefaultMetricsServer } from './flagger-default-metrics-server.ts';
import { flaggerDefaultProvider } from './flagger-default-provider.ts';
import { flaggerCanaryStuck } from './flagger-canary-stuck.ts';
import { flaggerRoutingNotWritten } from './flagger-routing-not-written.ts';
import { grafanaDatasourceWrongPort } from './grafana-datasource-wrong-port.ts';
import { imagePullError } from './image-pull-error.ts';
import { imagePullErrorOneNamespace } from './image-pull-error-one-namespace.ts';
import { ingressNoAddress } from './ingress-no-address.ts';
import { ingressStuck502 } from './ingress-stuck-502.ts';
import { ingressbackendAdmissionDenied } from './ingressbackend-admission-denied.ts';
import { ingressbackendError } from './ingressbackend-error.ts';
import { ingressbackendNoStatus } from './ingressbackend-no-status.ts';
import { initContainerFails } from './init-container-fails.ts';
import { metricsNotEnabled } from './metrics-not-enabled.ts';
import { insightsMetricsNotCollected } from './insights-metrics-not-collected.ts';
import { metricsNotScraped } from './metrics-not-scraped.ts';
import { namespaceOnboardingStripped } from './namespace-onboarding-stripped.ts';
import { podSecurityBaseline } from './pod-security-baseline.ts';
import { podUnschedulable } from './pod-unschedulable.ts';
import { prometheusUnreachable } from './prometheus-unreachable.ts';
import { rootCaExpiring } from './root-ca-expiring.ts';
import { vaultSealed } from './vault-sealed.ts';
import { certManagerIssuerNotReady } from './cert-manager-issuer-not-ready.ts';
import { serviceProxyForbidden } from './service-proxy-forbidden.ts';
import { sidecarNeverReady } from './sidecar-never-ready.ts';
import { sidecarNotInjected } from './sidecar-not-injected.ts';
import { watchCut } from './watch-cut.ts';
import { watchExpired } from './watch-expired.ts';

export const faults = [
  namespaceOnboardingStripped,
  sidecarNotInjected,
  istioInjectionSkipped,
  istioRevisionMissing,
  sidecarNeverReady,
  nativeSidecarNeverReady,
  initContainerFails,
  podUnschedulable,
  podSecurityBaseline,
  imagePullError,
  imagePullErrorOneNamespace,
  ingressbackendError,
  ingressbackendNoStatus,
  ingressbackendAdmissionDenied,
  ingressNoAddress,
  ingressStuck502,
  gatewayNotProgrammed,
  httprouteBackendNotFound,
  agcFrontendUnresolvable,
  authzDenyIgnored,
  authzAllowIgnored,
  authzPathPrefixIgnored,
  mtlsDisabled,
  app503,
  metricsNotScraped,
  metricsNotEnabled,
  insightsMetricsNotCollected,
  envoyStatsFrozen,
  metricsMissIngressTraffic,
  prometheusUnreachable,
  foreignCaCertificate,
  extAuthzBypassed,
  extAuthzUnreachable,
  ingressGatewayCertNotIssued,
  ingressMtlsWrongPrincipal,
  classicSidecars,
  rootCaExpiring,
  vaultSealed,
  certManagerIssuerNotReady,
  grafanaDatasourceWrongPort,
  flaggerDefaultProvider,
  flaggerCanaryStuck,
  flaggerRoutingNotWritten,
  flaggerDefaultMetricsServer,
  daprPlacementDown,
  daprPortsIntercepted,
  daprApiIntercepted,
  daprMtlsEnabled,
  serviceProxyForbidden,
  accessReviewDenied,
  apiSlow,
  apiFlaky,
  watchCut,
  watchExpired,
] as const satisfies readonly Fault[];

export type FaultName = (typeof faults)[number]['name'];
export type { Fault, FaultEnv } from './fault.ts';
export { describeFault } from './fault.ts';

export function isFaultName(name: string): name is FaultName {
  return faults.some((fault) => fault.name === name);
}

/** The registered fault of that name. */
export function faultNamed(name: FaultName): Fault {
  return faults.find((fault) => fault.name === name)!;
}

/** Whether a fault has an effect on a flavor (a fault without `flavors`: on every flavor). */
export function faultAppliesTo(fault: Fault, flavor: FlavorName): boolean {
  return fault.flavors === undefined || fault.flavors.includes(flavor);
}

/** The hooks of the named faults for one simulator instance, merged in registry order (so the order of `--fault` options does not matter). */
export function hooksFor(names: readonly FaultName[], env: FaultEnv): SimHooks {
  return combineHooks(faults.filter((fault) => names.includes(fault.name)).map((fault) => fault.hooks(env)));
}

/** The named faults that break our emulation of the mesh control plane (fault.ts `emulatedMeshControlPlaneOnly`). */
export function faultsActingOnEmulatedMeshControlPlane(names: readonly string[]): FaultName[] {
  return faults.filter((f) => f.emulatedMeshControlPlaneOnly === true && names.includes(f.name)).map((f) => f.name);
}
