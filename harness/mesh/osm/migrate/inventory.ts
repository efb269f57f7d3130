/**
 * OSM's configuration as a migration source (`mesh-conformance migrate inventory`), read-only, with the semantics
 * OSM v1.2 gives it (the same rules the simulator enforces, simulator/src/mesh/osm/smi-policy.ts):
 * - namespaces: labelled `openservicemesh.io/monitored-by=<mesh>` (`osm namespace add`), injection and metrics from
 *   their annotations;
 * - MeshConfig `osm-mesh-config`: permissive mode, egress, inbound external authorization, the IngressBackend feature
 *   flag; the certificate provider and trust domain from osm-controller's arguments while it runs;
 * - SMI TrafficTargets as pkg/smi `ListTrafficTargets` keeps them (monitored namespace, destination in the same
 *   namespace, rules of kind HTTPRouteGroup or TCPRoute), with the HTTPRouteGroup matches their rules name (only those:
 *   OSM programs no route for a match no TrafficTarget names, nor for a rule without `matches`) and the ports of their
 *   TCPRoutes; TrafficSplits (v1alpha2); IngressBackends; Egress policies (no place in the neutral model).
 * Every object is listed with what it does, or why OSM ignores it.
 */
import type { KubernetesObject, V1Deployment, V1Namespace } from '@kubernetes/client-node';
import { KubeApiError } from '../../../k8s/api-error.ts';
import type { KubeClient } from '../../../k8s/kube-client.ts';
import { resourceTypes } from '../../../k8s/resources.ts';
import { deploymentVersion } from '../../../readiness/probes.ts';
import { readClusterFacts } from '../../../migrate/cluster-facts.ts';
import type { AccessRule, HttpRouteMatch, IngressAdmission, IngressSourceRef, InventoryItem, MeshInventory, MeshWideSettings, MigrationNamespace, TrafficSplitRule, UntranslatableItem, WorkloadIdentity } from '../../../migrate/model.ts';
import { isDisabled, isEnabled, meshConfigName, osmKeys } from '../keys.ts';

type Obj = KubernetesObject & { spec?: Record<string, unknown> };

/** The OSM and SMI kinds the inventory reads. */
export const osmMigrationTypes = {
  meshConfig: { apiVersion: 'config.openservicemesh.io/v1alpha2', kind: 'MeshConfig' },
  ingressBackend: { apiVersion: 'policy.openservicemesh.io/v1alpha1', kind: 'IngressBackend' },
  egress: { apiVersion: 'policy.openservicemesh.io/v1alpha1', kind: 'Egress' },
  trafficTarget: { apiVersion: 'access.smi-spec.io/v1alpha3', kind: 'TrafficTarget' },
  httpRouteGroup: { apiVersion: 'specs.smi-spec.io/v1alpha4', kind: 'HTTPRouteGroup' },
  tcpRoute: { apiVersion: 'specs.smi-spec.io/v1alpha4', kind: 'TCPRoute' },
  trafficSplit: { apiVersion: 'split.smi-spec.io/v1alpha2', kind: 'TrafficSplit' },
} as const;

/** Every object of a kind, or none when its CRD is not installed (404). */
async function listAll(client: KubeClient, type: { apiVersion: string; kind: string }, budgetMs: number): Promise<Obj[]> {
  try {
    return (await client.list<Obj>(type, {}, { budgetMs })).items;
  } catch (err) {
    if (err instanceof KubeApiError && err.code === 404) return [];
    throw err;
  }
}

const rec = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const list = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.map(rec) : []);
const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const nsName = (o: KubernetesObject): { namespace: string; name: string } => ({ namespace: o.metadata?.namespace ?? '', name: o.metadata?.name ?? '' });

/** `headers:` of an HTTPRouteGroup match: a list of one-entry maps (v1alpha4) or one map; names lower-cased. */
function headerMatches(value: unknown): Record<string, string> {
  const maps = Array.isArray(value) ? value : value && typeof value === 'object' ? [value] : [];
  const out: Record<string, string> = {};
  for (const m of maps) for (const [k, v] of Object.entries(rec(m))) if (typeof v === 'string') out[k.toLowerCase()] = v;
  return out;
}

function arg(d: V1Deployment | undefined, flag: string): string | undefined {
  const args = d?.spec?.template.spec?.containers[0]?.args ?? [];
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

/** Reads OSM's configuration of mesh `meshName` (control plane expected in `namespace`, if it still runs). */
export async function osmInventory(client: KubeClient, s: { namespace: string; meshName: string }, budgetMs: number): Promise<MeshInventory> {
  const items: InventoryItem[] = [];
  const unmodelled: UntranslatableItem[] = [];
  const controller = (await client.list<V1Deployment>(resourceTypes.deployment, { labelSelector: 'app=osm-controller' }, { budgetMs })).items[0];
  const meshConfigs = await listAll(client, osmMigrationTypes.meshConfig, budgetMs);
  const meshConfig = meshConfigs.find((m) => m.metadata?.name === meshConfigName && m.metadata.namespace === (controller?.metadata?.namespace ?? s.namespace))
    ?? meshConfigs.find((m) => m.metadata?.name === meshConfigName);
  const meshNamespace = controller?.metadata?.namespace ?? meshConfig?.metadata?.namespace;

  // Mesh-wide settings (MeshConfig v1alpha2, osm.md §7).
  const traffic = rec(meshConfig?.spec?.['traffic']);
  const extAuthz = rec(traffic['inboundExternalAuthorization']);
  const flags = rec(meshConfig?.spec?.['featureFlags']);
  const settings: MeshWideSettings = {
    permissiveTraffic: traffic['enablePermissiveTrafficPolicyMode'] !== false,
    egress: traffic['enableEgress'] !== false,
    externalAuthorization: extAuthz['enable'] === true ? `${text(extAuthz['address']) ?? '?'}:${typeof extAuthz['port'] === 'number' ? String(extAuthz['port']) : '?'}` : undefined,
    certificateProvider: arg(controller, '--certificate-manager') ?? (controller ? 'tresor' : 'unknown (osm-controller is gone)'),
    trustDomain: arg(controller, '--trust-domain') ?? 'cluster.local',
    ingressAdmissionEnforced: flags['enableIngressBackendPolicy'] !== false,
  };
  if (meshConfig) {
    items.push({ kind: 'MeshConfig', ...nsName(meshConfig), summary: [
      settings.permissiveTraffic ? 'permissive traffic policy mode (every meshed client reaches every meshed service)' : 'non-permissive: SMI TrafficTargets decide who reaches whom',
      `egress ${settings.egress ? 'enabled' : 'disabled'}`,
      settings.externalAuthorization ? `inbound external authorization at ${settings.externalAuthorization}` : 'no inbound external authorization',
      `certificates: ${settings.certificateProvider}, trust domain ${settings.trustDomain}`,
      `IngressBackend policy ${settings.ingressAdmissionEnforced ? 'enforced' : 'off (feature flag)'}`,
    ].join('; ') });
    if (settings.externalAuthorization) {
      unmodelled.push({ ref: `MeshConfig ${meshConfig.metadata?.namespace ?? ''}/${meshConfigName} traffic.inboundExternalAuthorization`, reason: `inbound external authorization (${settings.externalAuthorization}) has no entry in the AKS mapping; in Istio it is an extensionProvider in the mesh config plus AuthorizationPolicies with action CUSTOM, written by hand` });
    }
    if (!settings.egress) {
      unmodelled.push({ ref: `MeshConfig ${meshConfig.metadata?.namespace ?? ''}/${meshConfigName} traffic.enableEgress=false`, reason: 'egress disabled mesh-wide: Istio\'s equivalent is outboundTrafficPolicy REGISTRY_ONLY in the mesh config (on the AKS add-on, the shared MeshConfig ConfigMap), outside namespace manifests' });
    }
  } else {
    items.push({ kind: 'MeshConfig', name: meshConfigName, summary: 'not found: the Helm defaults apply (permissive mode, egress enabled)' });
  }

  // Namespaces in the mesh.
  const namespaceObjects = (await client.list<V1Namespace>(resourceTypes.namespace, {}, { budgetMs })).items;
  const namespaces: MigrationNamespace[] = [];
  for (const ns of namespaceObjects) {
    const labels = ns.metadata?.labels ?? {};
    const annotations = ns.metadata?.annotations ?? {};
    if (labels[osmKeys.monitoredBy] !== s.meshName) continue;
    const entry: MigrationNamespace = {
      name: ns.metadata?.name ?? '',
      injection: isEnabled(annotations[osmKeys.sidecarInjection]),
      metrics: isEnabled(annotations[osmKeys.metrics]),
      labels: Object.keys(labels).filter((k) => k.startsWith('openservicemesh.io/')),
      annotations: Object.keys(annotations).filter((k) => k.startsWith('openservicemesh.io/')),
    };
    namespaces.push(entry);
    items.push({ kind: 'Namespace', name: entry.name, summary: `monitored by ${s.meshName}; sidecar injection ${entry.injection ? 'enabled' : isDisabled(annotations[osmKeys.sidecarInjection]) ? 'disabled' : 'not set'}; metrics ${entry.metrics ? 'enabled' : 'off'}` });
  }
  const monitored = new Set(namespaces.map((n) => n.name));

  // SMI: route groups, TCP routes, traffic targets, splits.
  const groups = await listAll(client, osmMigrationTypes.httpRouteGroup, budgetMs);
  const tcpRoutes = await listAll(client, osmMigrationTypes.tcpRoute, budgetMs);
  const targets = (await listAll(client, osmMigrationTypes.trafficTarget, budgetMs)).sort((a, b) => `${a.metadata?.namespace ?? ''}/${a.metadata?.name ?? ''}`.localeCompare(`${b.metadata?.namespace ?? ''}/${b.metadata?.name ?? ''}`));
  const usedMatches = new Set<string>();
  const accessRules: AccessRule[] = [];
  for (const tt of targets) {
    const { namespace, name } = nsName(tt);
    const dest = rec(tt.spec?.['destination']);
    const rules = list(tt.spec?.['rules']);
    const problem = !monitored.has(namespace) ? `namespace ${namespace} is not in the mesh`
      : text(dest['namespace']) !== namespace ? `its destination namespace (${text(dest['namespace']) ?? 'unset'}) is not its own namespace`
        : rules.length === 0 ? 'it has no rules'
          : rules.some((r) => r['kind'] !== 'HTTPRouteGroup' && r['kind'] !== 'TCPRoute') ? `a rule of kind ${text(rules.find((r) => r['kind'] !== 'HTTPRouteGroup' && r['kind'] !== 'TCPRoute')?.['kind']) ?? '?'} (OSM knows HTTPRouteGroup and TCPRoute)`
            : undefined;
    if (problem) {
      items.push({ kind: 'TrafficTarget', namespace, name, summary: `ignored by OSM: ${problem}` });
      continue;
    }
    const identity = (r: Record<string, unknown>): WorkloadIdentity => ({ namespace: text(r['namespace']) ?? namespace, serviceAccount: text(r['name']) ?? '' });
    const rule: AccessRule = { ref: { kind: 'TrafficTarget', namespace, name }, destination: identity(dest), sources: list(tt.spec?.['sources']).map(identity), http: [], tcpPorts: undefined, ignored: [] };
    let missingTcp = false;
    for (const r of rules) {
      const ruleName = text(r['name']) ?? '';
      if (r['kind'] === 'TCPRoute') {
        const route = tcpRoutes.find((t) => t.metadata?.namespace === namespace && t.metadata.name === ruleName);
        if (!route) {
          missingTcp = true;
          rule.ignored.push(`TCPRoute ${namespace}/${ruleName} does not exist: OSM builds no policy for this TrafficTarget at all`);
          continue;
        }
        rule.tcpPorts = [...(rule.tcpPorts ?? []), ...(rec(route.spec?.['matches'])['ports'] as unknown[] ?? []).map(Number).filter(Number.isInteger)];
        continue;
      }
      const group = groups.find((g) => g.metadata?.namespace === namespace && g.metadata.name === ruleName);
      if (!group) {
        rule.ignored.push(`HTTPRouteGroup ${namespace}/${ruleName} does not exist: no route`);
        continue;
      }
      const wanted = ((r['matches'] as unknown[] | undefined) ?? []).filter((m): m is string => typeof m === 'string');
      if (wanted.length === 0) rule.ignored.push(`rule HTTPRouteGroup ${ruleName} names no matches: OSM v1.2 programs a route only for the matches a rule names`);
      for (const m of wanted) {
        const match = list(group.spec?.['matches']).find((x) => x['name'] === m);
        if (!match) {
          rule.ignored.push(`match "${m}" is not in HTTPRouteGroup ${namespace}/${ruleName}: skipped, as OSM does`);
          continue;
        }
        usedMatches.add(`${namespace}/${ruleName}/${m}`);
        const methods = ((match['methods'] as unknown[] | undefined) ?? []).filter((x): x is string => typeof x === 'string').map((x) => x.toUpperCase());
        rule.http.push({ name: `${ruleName}/${m}`, pathRegex: text(match['pathRegex']) || '.*', methods: methods.length === 0 || methods.includes('*') ? ['*'] : [...new Set(methods)], headers: headerMatches(match['headers']) } satisfies HttpRouteMatch);
      }
    }
    if (missingTcp) {
      items.push({ kind: 'TrafficTarget', namespace, name, summary: `ignored by OSM: ${rule.ignored.join('; ')}` });
      continue;
    }
    accessRules.push(rule);
    items.push({ kind: 'TrafficTarget', namespace, name, summary: `${rule.sources.map((x) => `${x.namespace}/${x.serviceAccount}`).join(', ')} → ServiceAccount ${rule.destination.namespace}/${rule.destination.serviceAccount}: ${[
      rule.http.length ? `HTTP ${rule.http.map((h) => `${h.methods.join('|')} ${h.pathRegex}${Object.keys(h.headers).length ? ` [${Object.entries(h.headers).map(([k, v]) => `${k}: ${v}`).join(', ')}]` : ''}`).join('; ')}` : '',
      rule.tcpPorts ? `TCP ports ${rule.tcpPorts.join(', ')}` : '',
    ].filter(Boolean).join('; ') || 'no route'}${rule.ignored.length ? ` (${rule.ignored.join('; ')})` : ''}` });
  }
  for (const g of groups) {
    const { namespace, name } = nsName(g);
    const matches = list(g.spec?.['matches']);
    const unused = matches.map((m) => text(m['name']) ?? '').filter((m) => !usedMatches.has(`${namespace}/${name}/${m}`));
    items.push({ kind: 'HTTPRouteGroup', namespace, name, summary: `${matches.length} match${matches.length === 1 ? '' : 'es'}${unused.length ? `; not named by any TrafficTarget (OSM programs no route for them): ${unused.join(', ')}` : ''}` });
  }
  for (const t of tcpRoutes) {
    items.push({ kind: 'TCPRoute', ...nsName(t), summary: `ports ${((rec(t.spec?.['matches'])['ports'] as unknown[] | undefined) ?? []).join(', ') || 'none'}` });
  }
  const trafficSplits: TrafficSplitRule[] = [];
  for (const ts of await listAll(client, osmMigrationTypes.trafficSplit, budgetMs)) {
    const { namespace, name } = nsName(ts);
    const apex = (text(ts.spec?.['service']) ?? '').split('.')[0] ?? '';
    const backends = list(ts.spec?.['backends']).map((b) => ({ service: text(b['service']) ?? '', weight: Number(b['weight'] ?? 0) }));
    if (!monitored.has(namespace)) {
      items.push({ kind: 'TrafficSplit', namespace, name, summary: `ignored by OSM: namespace ${namespace} is not in the mesh` });
      continue;
    }
    trafficSplits.push({ ref: { kind: 'TrafficSplit', namespace, name }, namespace, apex, backends });
    items.push({ kind: 'TrafficSplit', namespace, name, summary: `${apex} → ${backends.map((b) => `${b.service} ${b.weight}`).join(', ')}` });
  }

  // IngressBackends.
  const ingress: IngressAdmission[] = [];
  for (const ib of await listAll(client, osmMigrationTypes.ingressBackend, budgetMs)) {
    const { namespace, name } = nsName(ib);
    const backends = list(ib.spec?.['backends']).map((b) => ({ service: text(b['name']) ?? '', port: Number(rec(b['port'])['number'] ?? 0), protocol: (text(rec(b['port'])['protocol']) ?? 'http').toLowerCase(), tls: b['tls'] !== undefined }));
    const sources = list(ib.spec?.['sources']).map((x): IngressSourceRef => {
      const kind = text(x['kind']) ?? '';
      if (kind === 'Service') return { kind, namespace: text(x['namespace']) ?? '', name: text(x['name']) ?? '' };
      if (kind === 'IPRange') return { kind, cidr: text(x['name']) ?? '' };
      return { kind, name: text(x['name']) ?? '' };
    });
    const status = text(rec((ib as { status?: unknown }).status)['currentStatus']);
    ingress.push({ ref: { kind: 'IngressBackend', namespace, name }, namespace, backends, sources });
    items.push({ kind: 'IngressBackend', namespace, name, summary: `${backends.map((b) => `${b.service}:${b.port} ${b.protocol}${b.tls ? ' (TLS)' : ''}`).join(', ')} from ${sources.map((x) => ('cidr' in x ? `IPRange ${x.cidr}` : 'namespace' in x ? `Service ${x.namespace}/${x.name}` : `${x.kind} ${x.name}`)).join(', ')}${status ? `; status ${status}` : ''}${settings.ingressAdmissionEnforced ? '' : ' (not enforced: feature flag off)'}` });
  }

  // Egress policies: no place in the model, listed as such.
  for (const eg of await listAll(client, osmMigrationTypes.egress, budgetMs)) {
    const { namespace, name } = nsName(eg);
    const hosts = ((eg.spec?.['hosts'] as unknown[] | undefined) ?? []).join(', ');
    const cidrs = ((eg.spec?.['ipAddresses'] as unknown[] | undefined) ?? []).join(', ');
    const ports = list(eg.spec?.['ports']).map((p) => `${String(p['number'])}/${text(p['protocol']) ?? '?'}`).join(', ');
    const sources = list(eg.spec?.['sources']).map((x) => `${text(x['namespace']) ?? ''}/${text(x['name']) ?? ''}`).join(', ');
    items.push({ kind: 'Egress', namespace, name, summary: `${sources} → ${[hosts, cidrs].filter(Boolean).join(', ')} on ${ports}` });
    unmodelled.push({ ref: `Egress ${namespace}/${name}`, reason: `per-ServiceAccount egress (${sources} → ${[hosts, cidrs].filter(Boolean).join(', ')} ${ports}) has no entry in the AKS mapping table: Istio's nearest is a ServiceEntry for the hosts plus, to restrict who may use it, an egress gateway with AuthorizationPolicies, written by hand` });
  }

  const facts = await readClusterFacts(client, [...monitored], budgetMs);
  return {
    kind: 'MeshMigrationInventory', version: 1,
    mesh: {
      profile: 'osm', title: 'Open Service Mesh (OSM)', namespace: meshNamespace, version: controller ? deploymentVersion(controller) : undefined,
      controlPlane: controller ? `osm-controller in ${controller.metadata?.namespace ?? '?'}` : 'no osm-controller Deployment (the add-on is disabled or OSM uninstalled); its objects remain',
    },
    settings, namespaces, accessRules, trafficSplits, ingress, unmodelled, items, cluster: facts,
  };
}
