/**
 * The Open Service Mesh 1.2 profile: self-installed in `osm-system` (kind) or the AKS add-on in `kube-system`.
 * Facts and their sources: ../shared/reference/osm.md.
 */
import { osmDapr } from './dapr.ts';
import { daprInvocationUnavailable } from '../../dapr/dapr-readiness.ts';
import type { KubernetesObject, V1Deployment, V1Namespace, V1Pod } from '@kubernetes/client-node';
import type { IngressSource } from '../../ingress/ingress-profile.ts';
import { resourceTypes } from '../../k8s/resources.ts';
import { writeRequirement } from '../../readiness/access-review.ts';
import { deploymentVersion } from '../../readiness/probes.ts';
import type { Observation } from '../../wait/wait-for.ts';
import type { IngressPolicyRequest, MeshIngressMtls, MeshProfile, MeshSettings, NamespaceMetadata, OnboardingStep, SeenResponse } from '../mesh-profile.ts';
import { canaryFeature, flaggerCanaryUnavailable } from '../../progressive-delivery/flagger-canary.ts';
import type { MeshFlagger } from '../../progressive-delivery/flagger-readiness.ts';
import { osmWorkloadCertificates } from './certificates.ts';
import { osmExternalAuthorization } from './external-authorization.ts';
import { isDisabled, isEnabled, meshConfigName, osmKeys } from './keys.ts';
import { osmMetrics } from './metrics.ts';
import { osmReadiness } from './readiness.ts';

interface IngressBackendObject extends KubernetesObject {
  spec?: { backends?: { name?: string; port?: { number?: number; protocol?: string }; tls?: unknown }[] };
  status?: { currentStatus?: string; reason?: string };
}

/**
 * The IngressBackend that admits the ingress's source to the sample's port: plain HTTP for the core check, or https
 * with client-certificate validation and more sources (an AuthenticatedPrincipal) for ingress over mTLS.
 */
function ingressBackend(req: IngressPolicyRequest, backend: { protocol: 'http' | 'https'; tls?: { skipClientCertValidation: boolean } }, moreSources: object[] = []): KubernetesObject {
  const source = req.source.kind === 'IPRange'
    ? { kind: 'IPRange', name: req.source.cidr }
    : { kind: 'Service', name: req.source.name, namespace: req.source.namespace };
  const { protocol, ...rest } = backend;
  return {
    apiVersion: ingressBackendType.apiVersion,
    kind: ingressBackendType.kind,
    metadata: { name: req.name, namespace: req.namespace, labels: req.labels },
    spec: { backends: [{ name: req.service, port: { number: req.port, protocol }, ...rest }], sources: [source, ...moreSources] },
  } as KubernetesObject;
}

const meshConfigType = { apiVersion: 'config.openservicemesh.io/v1alpha2', kind: 'MeshConfig' } as const;
const ingressBackendType = { apiVersion: 'policy.openservicemesh.io/v1alpha1', kind: 'IngressBackend', plural: 'ingressbackends', namespaced: true } as const;
/** Header Envoy adds to responses it proxied to an upstream: proof a request went through the sidecar (osm.md §5a). */
const envoyUpstreamHeader = 'x-envoy-upstream-service-time';

const osmTitle = 'Open Service Mesh (OSM)';
/** OSM's trust domain default (Helm `osm.trustDomain`): the suffix of every certificate name it issues. */
const trustDomain = 'cluster.local';

/**
 * Ingress over mTLS as OSM's e2e test (tests/e2e/e2e_ingressbackend_test.go, step 7) and ingress docs
 * (demos/ingress_k8s_nginx.md) set it up, osm.md §5a: MeshConfig `certificate.ingressGateway` makes osm-controller
 * issue a certificate for the SAN into the Secret it names (`pkg/ingress/gateway.go`: keys ca.crt, tls.crt, tls.key;
 * deleted again when the spec is removed); the IngressBackend backend becomes `protocol: https` with `tls`
 * (`skipClientCertValidation: false`) and an `AuthenticatedPrincipal` source for that SAN besides the Service source.
 * The Secret goes into the run's namespace, as the e2e test puts it into its server namespace.
 */
function osmIngressMtls(settings: MeshSettings): MeshIngressMtls {
  return {
    clusterChange: 'ingress-mtls',
    changeAccess: { verbs: ['get', 'patch'], group: 'config.openservicemesh.io', resource: 'meshconfigs', namespace: settings.namespace, why: 'set the ingress gateway certificate and restore it (extended check ingress-mtls)' },
    principal: (source) => (source.kind === 'IPRange' ? `ingress.${trustDomain}` : `${source.name}.${source.namespace}.${trustDomain}`),
    gatewayCertificate: ({ namespace, principal }) => {
      const secret = { namespace, name: 'osm-nginx-client-cert' };
      return {
        change: {
          name: 'ingress-mtls',
          ref: { ...meshConfigType, namespace: settings.namespace, name: meshConfigName },
          patch: { spec: { certificate: { ingressGateway: { subjectAltNames: [principal], validityDuration: '24h', secret } } } },
          description: `sets MeshConfig certificate.ingressGateway (SAN ${principal}, Secret ${secret.namespace}/${secret.name})`,
        },
        secret, keys: ['ca.crt', 'tls.crt', 'tls.key'], certificateKey: 'tls.crt',
      };
    },
    backendName: (namespace, serviceAccount) => `${serviceAccount}.${namespace}.${trustDomain}`,
    admit: (req, principal) => [ingressBackend(req, { protocol: 'https', tls: { skipClientCertValidation: false } }, [{ kind: 'AuthenticatedPrincipal', name: principal }])],
    // The https filter chain matches only a TLS handshake: plain HTTP finds no chain and is closed, which the ingress
    // answers with its error page for a reset backend.
    plainRefused: (req) => {
      const [status = 502, ...alsoStatuses] = req.backendResetStatuses;
      return { status, ...(alsoStatuses.length ? { alsoStatuses } : {}), description: `${[status, ...alsoStatuses].join(' or ')} while the ingress speaks plain HTTP to the https backend` };
    },
    // The inbound RBAC answers a peer whose certificate carries none of the IngressBackend's principals with Envoy's
    // 403 `RBAC: access denied`: the handshake succeeded, so nothing left in flight can change the answer. Only a GET
    // shows that body: a HEAD's 403 may also be the ext_authz filter's, which denies with an empty 403 while its
    // authorization service does not answer in time (MeshConfig inboundExternalAuthorization, failureModeAllow false;
    // it stays on through the run when copies of the flow share it), and that can change.
    principalRefused: (res, principal) => (res.status === 403 && res.method !== 'HEAD' && res.body.includes('RBAC: access denied')
      ? `the sidecar accepted the ingress's TLS handshake, then its RBAC refused the client certificate (403 RBAC: access denied) although the IngressBackend admits ${principal}: the sidecar's policy and the certificate from MeshConfig certificate.ingressGateway disagree on the ingress's identity, and waiting cannot change that`
      : undefined),
  };
}

/** The weights of Flagger's TrafficSplit `<svc>` for its backends `<svc>-primary` and `<svc>-canary` (SMI v1alpha2 `spec.backends`). */
function trafficSplitWeights(obj: KubernetesObject): { primary: number | undefined; canary: number | undefined } {
  const spec = (obj as { spec?: { service?: string; backends?: { service?: string; weight?: number }[] } }).spec;
  const weightOf = (suffix: string): number | undefined => spec?.backends?.find((b) => b.service === `${spec.service ?? ''}${suffix}`)?.weight;
  return { primary: weightOf('-primary'), canary: weightOf('-canary') };
}

/** The OSM profile for resolved settings. */
export function osmProfile(settings: MeshSettings): MeshProfile {
  const { meshName, namespace } = settings;
  const metrics = osmMetrics(namespace, { name: 'httpbin', targetPort: 14001 });
  const externalAuthorization = osmExternalAuthorization(settings);
  // Flagger docs, "Open Service Mesh Deployments" (docs/flagger.md).
  const flagger: MeshFlagger = {
    meshProvider: 'osm', routing: 'SMI TrafficSplit (split.smi-spec.io)',
    // Flagger's Smiv1alpha2Router (pkg/router/factory.go: provider osm): TrafficSplit `<svc>`, backends `<svc>-canary`, `<svc>-primary`.
    canaryRouting: { type: { apiVersion: 'split.smi-spec.io/v1alpha2', kind: 'TrafficSplit', plural: 'trafficsplits', namespaced: true }, weights: trafficSplitWeights },
    installHint: `\`helm upgrade -i flagger flagger/flagger --namespace=${settings.namespace} --set meshProvider=osm --set metricsServer=http://osm-prometheus.${settings.namespace}.svc:7070\` (Flagger docs, "Open Service Mesh Deployments")`,
  };
  return {
    name: 'osm',
    title: osmTitle,
    settings,
    describe: () => `osm (mesh ${meshName} in ${namespace})`,
    // OSM-docs release-v1.2 manifests/samples/httpbin/httpbin.yaml (osm.md §4).
    sample: {
      source: 'OSM docs release-v1.2 manifests/samples/httpbin/httpbin.yaml',
      // Pinned by digest (the linux/amd64 image: kennethreitz/httpbin publishes no other); `sampleImage` overrides it.
      name: 'httpbin', image: 'kennethreitz/httpbin@sha256:599fe5e5073102dbb0ee3dbb65f049dab44fa9fc251f6835c9990f8fb196a72b', port: 14001, targetPort: 14001, portName: 'http',
      command: ['gunicorn', '-b', '0.0.0.0:14001', 'httpbin:app', '-k', 'gevent'],
      nodeSelector: { 'kubernetes.io/arch': 'amd64', 'kubernetes.io/os': 'linux' },
    },
    onboarding: {
      steps: (): OnboardingStep[] => [
        { title: 'osm namespace add', metadata: { labels: { [osmKeys.monitoredBy]: meshName }, annotations: { [osmKeys.sidecarInjection]: 'enabled' } } },
        { title: 'osm metrics enable', metadata: { labels: {}, annotations: { [osmKeys.metrics]: 'enabled' } } },
      ],
      expected: (): NamespaceMetadata => ({
        labels: { [osmKeys.monitoredBy]: meshName },
        annotations: { [osmKeys.sidecarInjection]: 'enabled', [osmKeys.metrics]: 'enabled' },
      }),
      injectionEnabled: (ns: V1Namespace) => ns.metadata?.labels?.[osmKeys.monitoredBy] === meshName && isEnabled(ns.metadata.annotations?.[osmKeys.sidecarInjection]),
    },
    sidecar: {
      description: `the envoy sidecar, the osm-init init container and the ${osmKeys.proxyUuid} label`,
      containerName: 'envoy',
      problems(pod: V1Pod): string[] {
        const problems: string[] = [];
        const containers = (pod.spec?.containers ?? []).map((c) => c.name);
        const inits = (pod.spec?.initContainers ?? []).map((c) => c.name);
        if (!containers.includes('envoy')) problems.push(`no container "envoy" (containers: [${containers.join(', ')}])`);
        if (!inits.includes('osm-init')) problems.push(`no init container "osm-init" (init containers: [${inits.join(', ')}])`);
        if (!pod.metadata?.labels?.[osmKeys.proxyUuid]) problems.push(`no label "${osmKeys.proxyUuid}"`);
        return problems;
      },
      present: (pod) => (pod.spec?.containers ?? []).some((c) => c.name === 'envoy'),
      optedOut: (pod) => isDisabled(pod.metadata?.annotations?.[osmKeys.sidecarInjection]),
    },
    ingressPolicy: {
      kind: 'IngressBackend',
      types: [ingressBackendType],
      admits: ['Service', 'IPRange'],
      // IngressBackends whose backend is `protocol: https` or has `tls` (osm.md §3, §5a): the ingress must speak TLS.
      async tlsBackends(client, budgetMs) {
        const all = (await client.list<IngressBackendObject>(ingressBackendType, {}, { budgetMs })).items;
        return all.flatMap((ib) => (ib.spec?.backends ?? []).flatMap((b) => {
          const https = (b.port?.protocol ?? '').toLowerCase() === 'https';
          if (!https && b.tls === undefined) return [];
          const ns = ib.metadata?.namespace ?? '';
          return [{ namespace: ns, service: b.name ?? '', policy: `IngressBackend ${ns}/${ib.metadata?.name ?? ''}`, why: [https ? 'protocol https' : '', b.tls !== undefined ? 'tls set' : ''].filter(Boolean).join(', ') }];
        }));
      },
      async sourceProblem(client, source: IngressSource, budgetMs) {
        // A Service source counts only when OSM watches its namespace (and does not inject the controller), osm.md §3.
        if (source.kind !== 'Service') return undefined;
        const name = source.namespace;
        const ns = await client.read<V1Namespace>({ ...resourceTypes.namespace, name }, { budgetMs });
        const hint = `run: osm namespace add ${name} --mesh-name ${meshName} --disable-sidecar-injection`;
        if (!ns) return `namespace ${name} of the ingress controller does not exist; install the ingress controller first`;
        const mesh = ns.metadata?.labels?.[osmKeys.monitoredBy];
        if (mesh !== meshName) return `namespace ${name} is not monitored by mesh ${meshName} (label ${osmKeys.monitoredBy}=${mesh ?? '<none>'}), so OSM cannot see the ingress controller's endpoints; ${hint}`;
        const injection = ns.metadata?.annotations?.[osmKeys.sidecarInjection];
        if (!isDisabled(injection)) {
          return `namespace ${name} must have sidecar injection disabled (annotation ${osmKeys.sidecarInjection}=${injection ?? '<none>'}${isEnabled(injection) ? ', the controller would get a sidecar' : ''}); ${hint}`;
        }
        return undefined;
      },
      // Without an IngressBackend the sidecar accepts no ingress source: it resets the connection, which the ingress
      // answers with its error page, 502 for ingress-nginx and AGIC (osm.md §5).
      refused: (req) => {
        const [status = 502, ...alsoStatuses] = req.backendResetStatuses;
        return { objects: [], answer: { status, ...(alsoStatuses.length ? { alsoStatuses } : {}), description: `${[status, ...alsoStatuses].join(' or ')} while no IngressBackend admits the ingress` } };
      },
      admit(req: IngressPolicyRequest): KubernetesObject[] {
        return [ingressBackend(req, { protocol: 'http' })];
      },
      accepted(obj: KubernetesObject | undefined): Observation<KubernetesObject> {
        if (!obj) return { done: false, observed: 'IngressBackend not found' };
        const status = (obj as IngressBackendObject).status;
        const current = status?.currentStatus ?? '';
        const observed = `currentStatus=${current === '' ? '<empty>' : current}${status?.reason ? `, reason=${status.reason}` : ''}`;
        if (current === 'committed') return { done: true, observed, value: obj };
        if (current === 'error') return { done: false, observed, failure: `IngressBackend status is error: ${status?.reason ?? 'no reason given'}` };
        return { done: false, observed };
      },
      acceptedDescription: 'committed',
      throughSidecar: (_req, res: SeenResponse) => (res.headers[envoyUpstreamHeader] === undefined ? `${envoyUpstreamHeader} missing` : undefined),
      throughSidecarDescription: `with ${envoyUpstreamHeader}`,
    },
    metrics,
    features: ['workload-identity', 'external-authorization', 'ingress-mtls', 'dapr', canaryFeature],
    externalAuthorization,
    ingressMtls: osmIngressMtls(settings),
    async featureUnavailable(feature, ctx) {
      if (feature === 'external-authorization') return externalAuthorization.unavailable(ctx);
      if (feature === 'dapr') return daprInvocationUnavailable(ctx.client, ctx.budgetMs);
      if (feature === canaryFeature) return flaggerCanaryUnavailable(flagger, osmTitle, ctx);
      if (feature !== 'ingress-mtls') return undefined;
      const others = ctx.profiles.filter((p) => p.title !== osmTitle);
      if (!others.some((p) => p.features?.includes('ingress-mtls'))) {
        const names = others.map((p) => p.title).join(', ') || 'no ingress';
        return `the ingress (${names}) cannot present a client certificate to the sidecar: use ingress-nginx (ingress: nginx)`;
      }
      if (!ctx.clusterChanges.includes('ingress-mtls')) {
        return `it sets MeshConfig ${namespace}/${meshConfigName} spec.certificate.ingressGateway, a cluster-wide change (restored after the check): allow it with --allow-cluster-change ingress-mtls (or allowClusterChanges: [ingress-mtls] in the config file)`;
      }
      const mc = await ctx.client.read<KubernetesObject>({ ...meshConfigType, namespace, name: meshConfigName }, { budgetMs: ctx.budgetMs });
      if (!mc) return `MeshConfig ${namespace}/${meshConfigName} does not exist, so the ingress gateway certificate cannot be set`;
      return undefined;
    },
    workloadCertificates: osmWorkloadCertificates(settings),
    dapr: osmDapr(settings),
    flagger,
    readiness: () => osmReadiness(settings),
    access: () => [writeRequirement(ingressBackendType, 'admit the ingress into the mesh')],
    reads: () => [{ verbs: ['get'], group: 'config.openservicemesh.io', resource: 'meshconfigs', why: 'judge the MeshConfig (pre-flight)' }],
    sharedObjects: () => [
      ...[metrics.collection?.object, externalAuthorization.sharedObject].filter((o) => o !== undefined),
      { ...meshConfigType, namespace, name: meshConfigName, why: 'the ingress gateway certificate (certificate.ingressGateway) set for the check ingress-mtls, then restored', change: 'ingress-mtls' },
    ],
    environment: () => Promise.resolve({}),
    async version(client, budgetMs) {
      const d = await client.read<V1Deployment>({ ...resourceTypes.deployment, namespace, name: 'osm-controller' }, { budgetMs });
      return d ? deploymentVersion(d) : undefined;
    },
  };
}
