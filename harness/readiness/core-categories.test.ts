import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { clusterChangeNames } from '../config/config-schema.ts';
import type { MetricsConfig } from '../config/resolve-config.ts';
import { ingressProfileFor, ingressProfileNames } from '../ingress/index.ts';
import { createMeshProfile, meshNames } from '../mesh/index.ts';
import type { AccessRequirement } from './access-review.ts';
import { placeholderRunNamespace, resourceName } from './access-review.ts';
import { runRequirements } from './core-categories.ts';

interface Rule { apiGroups: string[]; resources: string[]; verbs: string[] }

/** The ClusterRoles published in docs/preflight.md (generated: scripts/render-rbac.ts), by name. */
function documentedRoles(): Map<string, Rule[]> {
  const doc = readFileSync(new URL('../../docs/preflight.md', import.meta.url), 'utf8');
  const block = /<!-- rbac:begin[^\n]*\n```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(block, 'docs/preflight.md has the generated RBAC block');
  const roles = parseAllDocuments(block).map((d) => d.toJS() as { kind: string; metadata: { name: string }; rules: Rule[] });
  return new Map(roles.filter((r) => r.kind === 'ClusterRole').map((r) => [r.metadata.name, r.rules]));
}

function granted(rules: Rule[], r: AccessRequirement, verb: string): boolean {
  const resource = r.subresource ? `${r.resource}/${r.subresource}` : r.resource;
  return rules.some((rule) => rule.apiGroups.includes(r.group) && rule.resources.includes(resource) && rule.verbs.includes(verb));
}

const none = { prometheusTokenFile: undefined, prometheusCaFile: undefined, prometheusAuth: 'bearer' as const, cluster: undefined };
const metricsPaths: Record<string, MetricsConfig> = {
  'in-cluster': { ...none, prometheusUrl: undefined, prometheusToken: undefined, logAnalytics: undefined, timeoutMs: 1 },
  'log-analytics': { ...none, prometheusUrl: undefined, prometheusToken: undefined, logAnalytics: { workspaceId: 'w', endpoint: undefined, token: undefined, tokenFile: undefined, caFile: undefined }, timeoutMs: 1 },
  external: { ...none, prometheusUrl: 'http://p', prometheusToken: undefined, logAnalytics: undefined, timeoutMs: 1 },
};

function requirements(opts: { mesh: (typeof meshNames)[number]; ingress: string; metrics: MetricsConfig; clusterChanges: boolean | readonly string[] }) {
  const mesh = createMeshProfile({ mesh: opts.mesh, meshNamespace: 'mesh-ns', meshName: 'm', meshRevision: undefined, target: 'kind' });
  const ingress = ingressProfileFor(opts.ingress as (typeof ingressProfileNames)[number], { flavor: 'kind', sourceCidr: '10.0.0.0/8', gatewayClass: undefined, gatewayService: undefined, applicationLoadBalancer: undefined });
  return { mesh, ingress, reqs: runRequirements({ mesh, ingress, metrics: opts.metrics, clusterChanges: opts.clusterChanges === true ? clusterChangeNames : opts.clusterChanges === false ? [] : opts.clusterChanges }).flatMap((r) => ('anyOf' in r ? r.anyOf : [r])) };
}

describe('RBAC requirements of a run', () => {
  it('the documented roles grant every permission pre-flight asks for, for every mesh, ingress and metrics path (run namespaces cluster-wide, others per namespace)', () => {
    const roles = documentedRoles();
    const runner = roles.get('mesh-conformance-runner') ?? [];
    const meshNamespace = roles.get('mesh-conformance-mesh-namespace') ?? [];
    assert.ok(runner.length && meshNamespace.length, 'both roles are documented');
    for (const mesh of meshNames) {
      for (const ingress of ingressProfileNames) {
        for (const metrics of Object.values(metricsPaths)) {
          for (const r of requirements({ mesh, ingress, metrics, clusterChanges: true }).reqs) {
            const rules = r.namespace === undefined || r.namespace === placeholderRunNamespace ? runner : meshNamespace;
            for (const verb of r.verbs) assert.ok(granted(rules, r, verb), `docs/preflight.md roles lack ${verb} ${resourceName(r)} (${mesh}, ${ingress})`);
          }
        }
      }
    }
  });

  it('asks for the mesh policy and ingress kinds in the run namespace, and for the metrics path the configuration uses', () => {
    for (const mesh of meshNames) {
      const names = (metrics: MetricsConfig, clusterChanges = false) => {
        const r = requirements({ mesh, ingress: 'nginx', metrics, clusterChanges });
        return { ...r, names: r.reqs.map((x) => `${resourceName(x)}@${x.namespace ?? '*'}`) };
      };
      const inCluster = names(metricsPaths['in-cluster']!);
      assert.ok(inCluster.names.includes(`services/proxy@${inCluster.mesh.metrics.prometheus.namespace}`));
      assert.ok(inCluster.names.includes(`pods/portforward@${inCluster.mesh.metrics.prometheus.namespace}`));
      for (const t of inCluster.mesh.ingressPolicy.types) assert.ok(inCluster.names.includes(`${t.plural}.${t.apiVersion.split('/')[0]}@mesh-conformance-preflight`), `${mesh}: ${t.kind}`);
      assert.ok(inCluster.names.includes('ingresses.networking.k8s.io@mesh-conformance-preflight'));
      assert.ok(inCluster.names.includes('namespaces@*'));
      // The run's own namespace aside (Istio's published root is read there), no ConfigMap and no service proxy.
      const shared = (n: string): boolean => n.startsWith('configmaps') && !n.endsWith('@mesh-conformance-preflight');
      const external = names(metricsPaths.external!);
      assert.ok(!external.names.some((n) => shared(n) || n.startsWith('services/proxy')));
      // A shared object is edited only when the user allowed it.
      assert.ok(!names(metricsPaths['log-analytics']!).names.some(shared));
      if (external.mesh.metrics.collection) assert.ok(names(metricsPaths['log-analytics']!, true).names.some((n) => n.startsWith('configmaps@')));
    }
  });

  it('asks to patch the mesh\'s configuration for each mesh change the user allowed by name, and for no other', () => {
    for (const mesh of meshNames) {
      const patches = (clusterChanges: readonly string[]) => requirements({ mesh, ingress: 'nginx', metrics: metricsPaths['in-cluster']!, clusterChanges }).reqs
        .filter((r) => r.verbs.includes('patch') && r.namespace !== undefined && r.namespace !== placeholderRunNamespace).map((r) => r.why);
      const profile = requirements({ mesh, ingress: 'nginx', metrics: metricsPaths['in-cluster']!, clusterChanges: [] }).mesh;
      assert.deepEqual(patches([]), [], `${mesh}: nothing allowed, no shared patch asked for`);
      assert.deepEqual(patches(['metrics-collection']), [], `${mesh}: metrics-collection with in-cluster metrics edits no shared object`);
      for (const change of [profile.externalAuthorization, profile.ingressMtls]) {
        if (!change) continue;
        assert.deepEqual(patches([change.clusterChange]), [change.changeAccess.why], `${mesh}: ${change.clusterChange} alone`);
      }
    }
  });
});
