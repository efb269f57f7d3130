/**
 * The Istio profile: upstream Istio (kind: Helm, revisioned, istio-system) and the AKS Istio add-on (aks-istio-system,
 * revisions `asm-X-Y`). Facts and their sources: ../shared/reference/istio.md.
 */
import type { KubernetesObject, V1Container, V1Deployment, V1Namespace, V1Pod } from '@kubernetes/client-node';
import { resourceTypes } from '../../k8s/resources.ts';
import { writeRequirement } from '../../readiness/access-review.ts';
import { deploymentVersion } from '../../readiness/probes.ts';
import type { IngressPolicyRequest, MeshProfile, MeshSettings, NamespaceMetadata, OnboardingStep, SeenResponse } from '../mesh-profile.ts';
import { canaryFeature, flaggerCanaryUnavailable } from '../../progressive-delivery/flagger-canary.ts';
import type { MeshFlagger } from '../../progressive-delivery/flagger-readiness.ts';
import { istioWorkloadCertificates } from './certificates.ts';
import { istioContainers, istiodName, istioKeys, principal } from './keys.ts';
import { istioMetrics } from './metrics.ts';
import { istioReadiness } from './readiness.ts';

const authorizationPolicy = { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', plural: 'authorizationpolicies', namespaced: true } as const;

/** Where a pod's sidecar sits: a native sidecar (init container with restartPolicy Always) or a classic container. */
export function sidecarOf(pod: V1Pod): { container: V1Container; mode: 'native' | 'classic' } | undefined {
  const native = (pod.spec?.initContainers ?? []).find((c) => c.name === istioContainers.proxy && c.restartPolicy === 'Always');
  if (native) return { container: native, mode: 'native' };
  const classic = (pod.spec?.containers ?? []).find((c) => c.name === istioContainers.proxy);
  return classic ? { container: classic, mode: 'classic' } : undefined;
}

/** The Istio profile for resolved settings. */
export function istioProfile(settings: MeshSettings): MeshProfile {
  const { revision, namespace } = settings;
  const onboardingLabels = (): Record<string, string> => (revision ? { [istioKeys.rev]: revision } : { [istioKeys.injection]: 'enabled' });
  const sample = 'httpbin';
  // Flagger docs, "Flagger Install on Kubernetes" (docs/flagger.md).
  const flagger: MeshFlagger = {
    meshProvider: 'istio', routing: 'Istio VirtualService and DestinationRules (networking.istio.io)',
    // Flagger's IstioRouter: VirtualService `<svc>` (networking.istio.io/v1beta1 in Flagger's clientset; UNCONFIRMED, docs/flagger.md).
    canaryRouting: { type: { apiVersion: 'networking.istio.io/v1beta1', kind: 'VirtualService', plural: 'virtualservices', namespaced: true } },
    installHint: '`helm upgrade -i flagger flagger/flagger --namespace=istio-system --set meshProvider=istio --set metricsServer=http://prometheus:9090` (Flagger docs, "Flagger Install on Kubernetes")',
  };
  return {
    name: 'istio',
    title: 'Istio',
    settings,
    describe: () => `istio (${revision ? `revision ${revision}` : 'unrevisioned'} in ${namespace})`,
    // samples/httpbin/httpbin.yaml (istio.md §9), the same in 1.29, 1.30 and 1.31.
    sample: {
      source: 'Istio samples/httpbin/httpbin.yaml', name: sample, image: 'docker.io/mccutchen/go-httpbin:v2.15.0',
      port: 8000, targetPort: 8080, portName: 'http', podLabels: { version: 'v1' },
    },
    onboarding: {
      steps: (): OnboardingStep[] => [{
        title: revision ? `kubectl label namespace ${istioKeys.rev}=${revision}` : `kubectl label namespace ${istioKeys.injection}=enabled`,
        metadata: { labels: onboardingLabels(), annotations: {} },
      }],
      expected: (): NamespaceMetadata => ({ labels: onboardingLabels(), annotations: {} }),
      // istio-injection takes precedence over istio.io/rev, and a revisioned install without a default tag ignores it (§1.2).
      injectionEnabled: (ns: V1Namespace) => {
        const labels = ns.metadata?.labels ?? {};
        if (labels[istioKeys.injection] !== undefined) return !revision && labels[istioKeys.injection] === 'enabled';
        return revision !== undefined && labels[istioKeys.rev] === revision;
      },
    },
    sidecar: {
      description: 'the istio-proxy sidecar (native or classic), the istio-init or istio-validation init container and the sidecar.istio.io/status annotation',
      containerName: istioContainers.proxy,
      problems(pod: V1Pod): string[] {
        const problems: string[] = [];
        const inits = (pod.spec?.initContainers ?? []).map((c) => c.name);
        const containers = (pod.spec?.containers ?? []).map((c) => c.name);
        if (!sidecarOf(pod)) {
          problems.push(`no ${istioContainers.proxy} sidecar: neither a native one (init container with restartPolicy: Always; init containers: [${inits.join(', ')}]) nor a classic one (containers: [${containers.join(', ')}])`);
        }
        if (!inits.includes(istioContainers.init) && !inits.includes(istioContainers.validation)) problems.push(`no init container "${istioContainers.init}" or "${istioContainers.validation}" (init containers: [${inits.join(', ')}])`);
        if (!pod.metadata?.annotations?.[istioKeys.status]) problems.push(`no annotation "${istioKeys.status}"`);
        const podRev = pod.metadata?.annotations?.[istioKeys.rev];
        if (revision && podRev && podRev !== revision) problems.push(`injected by revision ${podRev}, not ${revision}`);
        return problems;
      },
      present: (pod) => sidecarOf(pod) !== undefined,
      optedOut: (pod) => pod.metadata?.labels?.[istioKeys.inject] === 'false' || pod.metadata?.annotations?.[istioKeys.inject] === 'false',
    },
    ingressPolicy: {
      kind: 'AuthorizationPolicy',
      types: [authorizationPolicy],
      admits: ['ServiceAccount'],
      sourceProblem: () => Promise.resolve(undefined),
      // An ALLOW policy with no rules denies everything to the workloads it selects (§4): 403 "RBAC: access denied".
      refused: (req) => ({
        objects: [policyObject(req, `${req.name}-allow-nothing`, {})],
        answer: { status: 403, bodyIncludes: 'RBAC: access denied', description: '403 "RBAC: access denied" while only an allow-nothing AuthorizationPolicy selects it' },
      }),
      admit: (req) => {
        if (req.source.kind !== 'ServiceAccount') throw new Error(`the Istio profile admits a ServiceAccount source, not ${req.source.kind}`);
        return [policyObject(req, `${req.name}-allow-ingress`, { action: 'ALLOW', rules: [{ from: [{ source: { principals: [principal(req.source.namespace, req.source.name).policy] } }] }] })];
      },
      // AuthorizationPolicy has no status (unless istiod writes status, off by default): accepted = stored by the API server.
      accepted: (obj: KubernetesObject | undefined) => (obj ? { done: true, observed: 'stored', value: obj } : { done: false, observed: 'not found' }),
      acceptedDescription: 'accepted by the API server (an AuthorizationPolicy has no status)',
      // The inbound sidecar appends X-Forwarded-Client-Cert (By = the workload, URI = the mTLS peer), which httpbin echoes;
      // both the sidecar and the gateway answer `server: istio-envoy` (istio.md §3c).
      throughSidecar(req: IngressPolicyRequest, res: SeenResponse): string | undefined {
        if (res.headers.server !== 'istio-envoy') return `server: ${JSON.stringify(res.headers.server ?? null)}, not istio-envoy`;
        if (res.method === 'HEAD') return undefined;
        const by = `By=${principal(req.namespace, req.service).spiffe}`;
        const uri = req.source.kind === 'ServiceAccount' ? `URI=${principal(req.source.namespace, req.source.name).spiffe}` : 'URI=spiffe://';
        if (!res.body.includes(by)) return `the echoed request carries no X-Forwarded-Client-Cert with ${by} (the request did not pass the workload's sidecar over mTLS)`;
        if (!res.body.includes(uri)) return `X-Forwarded-Client-Cert does not name the ingress gateway (${uri})`;
        return undefined;
      },
      throughSidecarDescription: 'through the workload\'s sidecar over mTLS from the gateway (X-Forwarded-Client-Cert echoed)',
    },
    metrics: istioMetrics(sample),
    features: ['workload-identity', canaryFeature],
    workloadCertificates: istioWorkloadCertificates(),
    flagger,
    featureUnavailable: (feature, ctx) => (feature === canaryFeature ? flaggerCanaryUnavailable(flagger, 'Istio', ctx) : Promise.resolve(undefined)),
    readiness: () => istioReadiness(settings),
    access: () => [writeRequirement(authorizationPolicy, 'gate the ingress with the mesh\'s authorization')],
    reads: () => [
      { verbs: ['list'], group: 'apps', resource: 'daemonsets', why: 'the CNI node agent (pre-flight)' },
      { verbs: ['get'], group: 'gateway.networking.k8s.io', resource: 'gatewayclasses', why: 'the Gateway API class (pre-flight)' },
    ],
    sharedObjects: () => [],
    async version(client, budgetMs) {
      const d = await client.read<V1Deployment>({ ...resourceTypes.deployment, namespace, name: istiodName(revision) }, { budgetMs });
      return d ? deploymentVersion(d) : undefined;
    },
    async environment(client, budgetMs) {
      const d = await client.read<V1Deployment>({ ...resourceTypes.deployment, namespace, name: istiodName(revision) }, { budgetMs });
      const env = d?.spec?.template.spec?.containers[0]?.env ?? [];
      const native = env.find((e) => e.name === 'ENABLE_NATIVE_SIDECARS')?.value ?? 'auto';
      return { meshRevision: revision ?? 'none (unrevisioned)', dataPlane: `sidecar (ENABLE_NATIVE_SIDECARS=${native})` };
    },
  };
}

function policyObject(req: IngressPolicyRequest, name: string, spec: Record<string, unknown>): KubernetesObject {
  return {
    apiVersion: authorizationPolicy.apiVersion, kind: authorizationPolicy.kind,
    metadata: { name, namespace: req.namespace, labels: req.labels },
    spec: { selector: { matchLabels: { app: req.service } }, ...spec },
  } as KubernetesObject;
}
