/**
 * Which connections are mutual TLS (istio.md §4, §6): the server side's PeerAuthentication mode for a workload port
 * (a workload-selector policy in its namespace, else the namespace-wide one, else the root namespace's mesh-wide
 * one; `portLevelMtls` overrides per container port; UNSET inherits; the default is PERMISSIVE), and the client
 * side's choice: a DestinationRule for the destination host (looked up in the client's namespace, then the
 * service's, then the root namespace) with `tls.mode` decides, else auto mTLS: mTLS when the destination pod carries
 * a sidecar (`security.istio.io/tlsMode: istio`) and its PeerAuthentication is not DISABLE.
 */
import type { KubeObject } from '../../cluster/types.ts';
import { arr, num, obj, spec, str } from '../../controllers/kube-objects.ts';
import { matchesMapSelector } from '../../controllers/label-selector.ts';
import { tlsModeLabel } from './constants.ts';

export type MtlsMode = 'STRICT' | 'PERMISSIVE' | 'DISABLE';

function modeOf(value: unknown): MtlsMode | undefined {
  return value === 'STRICT' || value === 'PERMISSIVE' || value === 'DISABLE' ? value : undefined;
}

function oldestFirst(a: KubeObject, b: KubeObject): number {
  return String(a.metadata.creationTimestamp ?? '').localeCompare(String(b.metadata.creationTimestamp ?? '')) || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
}

/** The effective PeerAuthentication mode of a workload's container port. */
export function peerAuthenticationMode(policies: KubeObject[], pod: KubeObject, port: number, rootNamespace: string): MtlsMode {
  const ns = pod.metadata.namespace ?? 'default';
  const labels = pod.metadata.labels ?? {};
  const selectorOf = (p: KubeObject): Record<string, string> => obj(obj(spec(p)['selector'])['matchLabels']) as Record<string, string>;
  const inNs = policies.filter((p) => p.metadata.namespace === ns).sort(oldestFirst);
  const workload = inNs.find((p) => Object.keys(selectorOf(p)).length > 0 && matchesMapSelector(selectorOf(p), labels));
  const namespaceWide = inNs.find((p) => Object.keys(selectorOf(p)).length === 0);
  const meshWide = policies.filter((p) => p.metadata.namespace === rootNamespace && Object.keys(selectorOf(p)).length === 0).sort(oldestFirst)[0];
  const mesh = modeOf(obj(spec(meshWide ?? emptyPolicy)['mtls'])['mode']) ?? 'PERMISSIVE';
  const namespace = modeOf(obj(spec(namespaceWide ?? emptyPolicy)['mtls'])['mode']) ?? mesh;
  if (!workload) return namespace;
  const portLevel = modeOf(obj(obj(spec(workload)['portLevelMtls'])[String(port)])['mode']);
  return portLevel ?? modeOf(obj(spec(workload)['mtls'])['mode']) ?? namespace;
}

const emptyPolicy: KubeObject = { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: {}, spec: {} };

/** Whether a DestinationRule `host` covers the service FQDN (short names resolve in the rule's namespace). */
export function destinationRuleHostMatches(rule: KubeObject, fqdn: string): boolean {
  let host = str(spec(rule)['host']) ?? '';
  if (!host.includes('.') && host !== '*') host = `${host}.${rule.metadata.namespace ?? 'default'}.svc.cluster.local`;
  if (host === '*') return true;
  if (host.startsWith('*.')) return fqdn.endsWith(host.slice(1));
  return host === fqdn;
}

/** The DestinationRule TLS mode a client applies to a service port, or undefined when no rule sets one. */
export function destinationRuleTlsMode(rules: KubeObject[], clientNamespace: string, service: KubeObject, servicePort: number, rootNamespace: string): string | undefined {
  const fqdn = `${service.metadata.name ?? ''}.${service.metadata.namespace ?? ''}.svc.cluster.local`;
  const visible = (r: KubeObject): boolean => {
    const exportTo = arr(spec(r)['exportTo']) as unknown[];
    return exportTo.length === 0 || exportTo.includes('*') || (exportTo.includes('.') && r.metadata.namespace === clientNamespace) || exportTo.includes(clientNamespace);
  };
  for (const ns of [clientNamespace, service.metadata.namespace, rootNamespace]) {
    const rule = rules.filter((r) => r.metadata.namespace === ns && visible(r) && destinationRuleHostMatches(r, fqdn)).sort(oldestFirst)[0];
    if (!rule) continue;
    const policy = obj(spec(rule)['trafficPolicy']);
    const portLevel = arr(policy['portLevelSettings']).find((s) => num(obj(s['port'])['number']) === servicePort);
    return str(obj(portLevel?.['tls'])['mode']) ?? str(obj(policy['tls'])['mode']);
  }
  return undefined;
}

/** The client's choice for one connection: originate Istio mTLS or send plaintext. */
export function clientUsesMtls(opts: { drMode: string | undefined; destination: KubeObject; destinationMode: MtlsMode; autoMtls: boolean }): boolean {
  if (opts.drMode === 'ISTIO_MUTUAL') return true;
  if (opts.drMode !== undefined) return false; // DISABLE, SIMPLE, MUTUAL: not Istio mTLS
  if (!opts.autoMtls) return false;
  return opts.destination.metadata.labels?.[tlsModeLabel] === 'istio' && opts.destinationMode !== 'DISABLE';
}
