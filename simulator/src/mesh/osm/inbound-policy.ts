/**
 * The inbound half of the Envoy config osm-controller sends to a sidecar (LDS ingress filter chains,
 * osm.md §3), answered per connection through the InboundPolicySource contract. A connection from peer
 * address A to port X of pod P passes when an IngressBackend in P's namespace lists a backend Service that
 * selects P with targetPort X and one of its sources matches A. In-mesh traffic (peer is another injected
 * pod) passes in permissive mode, standing in for the mTLS filter chains; Envoy's own metrics listener
 * (15010) is always open, as it is a separate listener.
 */
import type { InboundPolicySource, KubeObject } from '../../cluster/types.ts';
import { arr, num, obj, str } from '../../controllers/kube-objects.ts';
import type { MeshHooks } from '../../hooks.ts';
import { noHooks } from '../../hooks.ts';
import { cidrContains } from './cidr.ts';
import { envoyPorts } from './constants.ts';
import { isInjected } from './mesh-view.ts';
import type { MeshView } from './mesh-view.ts';

export const inboundDecisions = ['allowed-by-ingress-backend', 'allowed-in-mesh', 'allowed-metrics-listener', 'allowed-not-meshed', 'denied-no-config', 'denied-no-matching-source', 'denied-ingress-rejected'] as const;
export type InboundDecision = (typeof inboundDecisions)[number];

export class OsmInboundPolicy implements InboundPolicySource {
  constructor(private readonly view: MeshView, private readonly hooks: MeshHooks = noHooks.mesh) {}

  inboundAllowed(pod: KubeObject, port: number, peerClusterAddress: string): boolean {
    return this.decide(pod, port, peerClusterAddress).startsWith('allowed');
  }

  /** The decision with its reason, for tests and diagnostics. */
  decide(pod: KubeObject, port: number, peer: string): InboundDecision {
    if (!isInjected(pod)) return 'allowed-not-meshed';
    if (port === envoyPorts.metrics) return 'allowed-metrics-listener';
    // Without osm-controller the sidecar never received listeners: nothing inbound is accepted.
    if (!this.view.componentReachable('osm-controller')) return 'denied-no-config';

    if (this.view.meshedPodWithIp(peer) && this.view.permissiveMode()) return 'allowed-in-mesh';
    if (this.hooks.rejectIngressTraffic) return 'denied-ingress-rejected';
    if (!this.view.featureFlag('enableIngressBackendPolicy', true)) return 'denied-no-matching-source';

    for (const ib of this.view.ingressBackends(pod.metadata.namespace)) {
      const spec = obj(ib['spec']);
      const backendMatches = arr(spec['backends']).some((backend) => {
        const number = num(obj(backend['port'])['number']);
        if (number !== port) return false;
        const service = this.view.service(pod.metadata.namespace, str(backend['name']) ?? '');
        return service !== undefined && this.view.serviceTargetsPod(service, pod, port);
      });
      if (!backendMatches) continue;
      if (arr(spec['sources']).some((source) => this.sourceMatches(source, peer))) return 'allowed-by-ingress-backend';
    }
    return 'denied-no-matching-source';
  }

  private sourceMatches(source: Record<string, unknown>, peer: string): boolean {
    switch (source['kind']) {
      case 'Service': {
        const ns = str(source['namespace']) ?? '';
        const name = str(source['name']) ?? '';
        // Any namespace: OSM v1.2.4 resolves a source Service's endpoints from its cluster-wide Endpoints informer.
        return this.view.endpointIps(ns, name).some((ip) => ip === peer);
      }
      case 'IPRange':
        return cidrContains(str(source['name']) ?? '', peer);
      case 'AuthenticatedPrincipal':
        return false; // needs mTLS from the ingress; plain HTTP never presents a principal
      default:
        return false;
    }
  }
}
