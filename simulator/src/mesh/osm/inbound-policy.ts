/**
 * The Envoy config osm-controller sends to a sidecar, answered per connection and per request through the
 * InboundPolicySource contract (osm.md §3; smi-policy.ts for SMI):
 * - inbound, per connection: a connection from peer address A to port X of pod P passes when an IngressBackend in P's
 *   namespace lists a backend Service that selects P with targetPort X and one of its sources matches A (the ingress
 *   filter chain); from another injected pod (in-mesh: the peer's address stands for its mTLS certificate) it passes in
 *   permissive mode, and in non-permissive mode when the network RBAC built from TrafficTargets admits the peer's
 *   identity; Envoy's own metrics listener (15010) is always open, as it is a separate listener;
 * - inbound, per request of an in-mesh connection in non-permissive mode: the virtual host, the routes of the
 *   HTTPRouteGroups and their RBAC (404 NR, 403 `RBAC: access denied`);
 * - outbound: a request to a Service goes to one of its endpoints when the Service is in the mesh and, in
 *   non-permissive mode, a TrafficTarget lets the pod's identity reach the Service's pods; a TrafficSplit on the
 *   Service picks the backend by weight; anything else leaves through the egress passthrough when MeshConfig enables
 *   egress (the helm default) and is closed otherwise.
 * Envoy keeps the last configuration it accepted when its xDS server goes away: once osm-controller has no ready
 * endpoint, the sidecars that were connected keep answering from a copy of the mesh taken at that moment (frozen
 * view: policies, Services and endpoints as they were), and sidecars of pods created later have no configuration at
 * all (no listener: connections refused or closed). When osm-controller is back, everyone follows the live mesh again.
 */
import type { ExternalAuthorizationSettings, InboundPolicySource, InboundRequestFacts, InboundTransport, KubeObject, LocalReply, OutboundRoute } from '../../cluster/types.ts';
import { arr, num, obj, spec, str } from '../../controllers/kube-objects.ts';
import type { MeshHooks } from '../../hooks.ts';
import { noHooks } from '../../hooks.ts';
import { readyBackends, resolveService } from '../../node/outbound.ts';
import { cidrContains } from './cidr.ts';
import { envoyPorts } from './constants.ts';
import { isInjected } from './mesh-view.ts';
import type { MeshView } from './mesh-view.ts';
import { httpDecision, identityOfPod, l4Allowed, splitBackend, upstreamAllowed } from './smi-policy.ts';

export const inboundDecisions = [
  'allowed-by-ingress-backend', 'allowed-in-mesh', 'allowed-by-traffic-target', 'allowed-metrics-listener', 'allowed-not-meshed',
  'denied-no-config', 'denied-no-matching-source', 'denied-ingress-rejected', 'denied-by-traffic-target',
] as const;
export type InboundDecision = (typeof inboundDecisions)[number];

export class OsmInboundPolicy implements InboundPolicySource {
  /** What osm-controller last sent, kept once it became unreachable. */
  private lastKnown: MeshView | undefined;
  private readonly roundRobin = new Map<string, number>();

  constructor(private readonly view: MeshView, private readonly hooks: MeshHooks = noHooks.mesh) {}

  /** Follows osm-controller's reachability: takes the frozen view when it goes away, drops it when it is back. */
  start(): () => void {
    let reachable = this.view.componentReachable('osm-controller');
    return this.view.store.onChange((event) => {
      if (event.object.kind !== 'Endpoints') return;
      const now = this.view.componentReachable('osm-controller');
      if (reachable && !now) this.lastKnown = this.view.frozen();
      if (now) this.lastKnown = undefined;
      reachable = now;
    });
  }

  /** The configuration `pod`'s sidecar serves from: live, the last known (it was connected before osm-controller went), or none. */
  configFor(pod: KubeObject): MeshView | undefined {
    if (this.view.componentReachable('osm-controller')) return this.view;
    if (!this.lastKnown) return undefined;
    const known = this.lastKnown.pods(pod.metadata.namespace).some((p) => p.metadata.uid === pod.metadata.uid);
    return known ? this.lastKnown : undefined;
  }

  inboundAllowed(pod: KubeObject, port: number, peerClusterAddress: string): boolean {
    return this.decide(pod, port, peerClusterAddress).startsWith('allowed');
  }

  /** The decision with its reason, for tests and diagnostics. */
  decide(pod: KubeObject, port: number, peer: string): InboundDecision {
    if (!isInjected(pod)) return 'allowed-not-meshed';
    if (port === envoyPorts.metrics) return 'allowed-metrics-listener';
    // Without configuration the sidecar has no listeners: nothing inbound is accepted.
    const view = this.configFor(pod);
    if (!view) return 'denied-no-config';

    // The peer's identity comes from its certificate: an OSM-injected pod that exists now.
    const peerPod = this.view.meshedPodWithIp(peer);
    if (peerPod) {
      if (view.permissiveMode()) return 'allowed-in-mesh';
      return l4Allowed(view, identityOfPod(pod), port, identityOfPod(peerPod)) ? 'allowed-by-traffic-target' : 'denied-by-traffic-target';
    }
    if (this.hooks.rejectIngressTraffic) return 'denied-ingress-rejected';
    if (!view.featureFlag('enableIngressBackendPolicy', true)) return 'denied-no-matching-source';

    return this.ingressMatch(view, pod, port, peer) ? 'allowed-by-ingress-backend' : 'denied-no-matching-source';
  }

  /**
   * The ingress filter chain a connection from `peer` matches: an IngressBackend backend for a Service that targets
   * the pod on `port`, and its sources. Address sources (Service endpoints, IPRange) are the chain's source match;
   * `AuthenticatedPrincipal` sources are checked on the TLS client certificate (OSM `pkg/envoy/lds/ingress.go`: an
   * https backend gets a TLS filter chain whose principals come from these sources), so an https backend listing
   * only principals matches any source address, and a plain http one never matches on a principal.
   */
  private ingressMatch(view: MeshView, pod: KubeObject, port: number, peer: string): { https: boolean; skipClientCertValidation: boolean; principals: string[] } | undefined {
    for (const ib of view.ingressBackends(pod.metadata.namespace)) {
      const ibSpec = obj(ib['spec']);
      const backend = arr(ibSpec['backends']).find((b) => {
        const number = num(obj(b['port'])['number']);
        if (number !== port) return false;
        const service = view.service(pod.metadata.namespace, str(b['name']) ?? '');
        return service !== undefined && view.serviceTargetsPod(service, pod, port);
      });
      if (!backend) continue;
      const https = (str(obj(backend['port'])['protocol']) ?? '').toLowerCase() === 'https';
      const sources = arr(ibSpec['sources']);
      const principals = sources.filter((source) => source['kind'] === 'AuthenticatedPrincipal').map((source) => str(source['name']) ?? '');
      const addressSources = sources.filter((source) => source['kind'] !== 'AuthenticatedPrincipal');
      const matches = addressSources.length
        ? addressSources.some((source) => this.sourceMatches(view, source, peer))
        : https && principals.length > 0;
      if (!matches) continue;
      return { https, skipClientCertValidation: obj(backend['tls'])['skipClientCertValidation'] === true, principals };
    }
    return undefined;
  }

  inboundTransport(pod: KubeObject, port: number, peer: string): InboundTransport | undefined {
    if (this.decide(pod, port, peer) !== 'allowed-by-ingress-backend') return undefined;
    const view = this.configFor(pod);
    const match = view ? this.ingressMatch(view, pod, port, peer) : undefined;
    if (!match) return undefined;
    if (!match.https) return { kind: 'plain' };
    // ingress-mtls-wrong-principal: the sidecar's RBAC carries a principal other than the one the policy names.
    const principals = this.hooks.ingressPrincipalMismatch ? match.principals.map((p) => `not-${p}`) : match.principals;
    return { kind: 'tls', requireClientCert: !match.skipClientCertValidation, principals };
  }

  inboundRequest(pod: KubeObject, port: number, peer: string, req: InboundRequestFacts): LocalReply | undefined {
    if (!isInjected(pod) || port === envoyPorts.metrics) return undefined;
    const view = this.configFor(pod);
    const peerPod = this.view.meshedPodWithIp(peer);
    // The ingress filter chain has a wildcard route (osm.md §3); permissive mode's in-mesh route is a wildcard too.
    if (!view || !peerPod || view.permissiveMode()) return undefined;
    const decision = httpDecision(view, pod, port, identityOfPod(peerPod), req);
    if (decision.allowed) return undefined;
    return decision.status === 403 ? { status: 403, body: 'RBAC: access denied', reason: decision.reason } : { status: 404, body: '', reason: decision.reason };
  }

  /**
   * MeshConfig `traffic.inboundExternalAuthorization`: when enabled, osm-controller adds the ext_authz filter to the
   * HTTP connection manager of the inbound and the ingress filter chains (pkg/envoy/lds inmesh.go, ingress.go), so
   * every request to an app port is checked, whoever sends it. Envoy's metrics listener is not an inbound filter chain.
   */
  externalAuthorization(pod: KubeObject, port: number): ExternalAuthorizationSettings | undefined {
    if (!isInjected(pod) || port === envoyPorts.metrics || this.hooks.extAuthzBypassed) return undefined;
    const view = this.configFor(pod);
    const ext = obj(obj(obj(view?.meshConfig()?.['spec'])['traffic'])['inboundExternalAuthorization']);
    if (ext['enable'] !== true) return undefined;
    return {
      address: str(ext['address']) ?? '', port: num(ext['port']) ?? 0, timeoutMs: goDurationMs(str(ext['timeout'])) ?? 1000,
      failureModeAllow: ext['failureModeAllow'] === true, statPrefix: str(ext['statPrefix']) ?? 'inboundExtAuthz',
    };
  }

  outbound(pod: KubeObject, host: string, port: number): OutboundRoute {
    // osm-init's iptables rules RETURN the excluded ports before the redirect to 15001: MeshConfig
    // traffic.outboundPortExclusionList and the pod's annotation, merged (pkg/injector; docs/dapr.md).
    const excluded = outboundPortExclusions(this.view, pod, this.hooks.daprApiIntercepted);
    if (excluded.has(port)) return { kind: 'passthrough', reason: `port ${port} is excluded from outbound interception` };
    const view = this.configFor(pod);
    if (!view) return { kind: 'refused', reason: 'the sidecar has no configuration (osm-controller unreachable since before it started)' };
    const resolved = resolveService(view.store, host, pod.metadata.namespace ?? 'default', port);
    const egress = (why: string): OutboundRoute => (view.egressEnabled() && !this.hooks.daprApiIntercepted
      ? { kind: 'passthrough', reason: `${why}: egress passthrough` }
      : { kind: 'reset', reason: `${why}, and ${view.egressEnabled() ? 'the sidecar resets intercepted traffic leaving the mesh' : 'egress is disabled'}` });
    if (!resolved?.port) return egress(`no mesh service for ${host}:${port}`);
    const ns = resolved.service.metadata.namespace ?? 'default';
    if (!view.isMonitored(ns)) return egress(`${ns}/${resolved.service.metadata.name ?? ''} is not in the mesh`);
    const pick = splitBackend(view, resolved.service, Math.random());
    const backend = pick.service === resolved.service.metadata.name ? resolved.service : view.service(ns, pick.service);
    const backendPort = backend ? arr(spec(backend)['ports']).find((p) => num(p['port']) === port) : undefined;
    if (!backend || !backendPort) return { kind: 'local', status: 503, body: 'no healthy upstream', reason: `TrafficSplit ${pick.split ?? ''} backend ${pick.service} has no port ${port}` };
    const backends = readyBackends(view.store, backend, backendPort);
    if (!view.permissiveMode()) {
      const self = identityOfPod(pod);
      const allowed = readyBackends(view.store, backend, backendPort).some((b) => upstreamAllowed(view, self, identityOfPod(b.pod)));
      if (!allowed) return egress(`no TrafficTarget lets ${self.serviceAccount}.${self.namespace} reach ${ns}/${backend.metadata.name ?? ''}`);
    }
    if (backends.length === 0) return { kind: 'local', status: 503, body: 'no healthy upstream', reason: `${ns}/${backend.metadata.name ?? ''} has no ready endpoint` };
    const key = `${ns}/${backend.metadata.name ?? ''}:${port}`;
    const index = (this.roundRobin.get(key) ?? 0) % backends.length;
    this.roundRobin.set(key, index + 1);
    const chosen = backends[index]!;
    // The upstream cluster speaks OSM's mTLS: an endpoint without OSM's sidecar (none, or another mesh's) cannot
    // complete the handshake, and Envoy answers its local 503 (UC).
    if (!isInjected(chosen.pod)) {
      return { kind: 'local', status: 503, body: 'upstream connect error or disconnect/reset before headers. reset reason: connection termination', reason: `endpoint ${chosen.ip} has no OSM sidecar to complete mTLS` };
    }
    return { kind: 'upstream', address: chosen.ip, port: chosen.port, service: key, reason: pick.split ? `TrafficSplit ${pick.split}` : 'in-mesh' };
  }

  private sourceMatches(view: MeshView, source: Record<string, unknown>, peer: string): boolean {
    switch (source['kind']) {
      case 'Service': {
        const ns = str(source['namespace']) ?? '';
        const name = str(source['name']) ?? '';
        // Any namespace: OSM v1.2.4 resolves a source Service's endpoints from its cluster-wide Endpoints informer.
        return view.endpointIps(ns, name).some((ip) => ip === peer);
      }
      case 'IPRange':
        return cidrContains(str(source['name']) ?? '', peer);
      case 'AuthenticatedPrincipal':
        return false; // not an address: checked on the TLS client certificate (ingressMatch)
      default:
        return false;
    }
  }
}

/** The pod annotation osm-init reads for the ports it leaves out of outbound interception. */
export const outboundPortExclusionAnnotation = 'openservicemesh.io/outbound-port-exclusion-list';

/** The outbound ports osm-init does not redirect for `pod`: MeshConfig's list and the pod's annotation (unless ignored). */
export function outboundPortExclusions(view: MeshView, pod: KubeObject, ignoreAnnotation = false): Set<number> {
  const list: unknown = obj(obj(view.meshConfig()?.['spec'])['traffic'])['outboundPortExclusionList'];
  const global = Array.isArray(list) ? list.map(Number) : [];
  const own = ignoreAnnotation ? [] : (pod.metadata.annotations?.[outboundPortExclusionAnnotation] ?? '').split(',').map((p) => Number(p.trim()));
  return new Set([...global, ...own].filter((p) => Number.isInteger(p) && p > 0 && p < 65536));
}

/** A Go duration (`1s`, `500ms`, `1m30s`) in ms; undefined when it does not parse (OSM then keeps its default, 1s: UNCONFIRMED). */
export function goDurationMs(text: string | undefined): number | undefined {
  if (!text || !/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(text)) return undefined;
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) total += Number(m[1]) * unit[m[2]!]!;
  return total;
}
