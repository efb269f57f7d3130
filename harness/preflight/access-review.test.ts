import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import type { AccessRequirement } from './access-review.ts';
import { resourceName, suiteRequirements } from './access-review.ts';

interface Rule { apiGroups: string[]; resources: string[]; verbs: string[] }

/** The ClusterRole published in docs/preflight.md. */
function documentedRole(): Rule[] {
  const doc = readFileSync(new URL('../../docs/preflight.md', import.meta.url), 'utf8');
  const block = /```yaml\n(apiVersion: rbac\.authorization\.k8s\.io\/v1\nkind: ClusterRole[\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(block, 'docs/preflight.md has the ClusterRole');
  return (parse(block) as { rules: Rule[] }).rules;
}

function granted(rules: Rule[], r: AccessRequirement, verb: string): boolean {
  const resource = r.subresource ? `${r.resource}/${r.subresource}` : r.resource;
  return rules.some((rule) => rule.apiGroups.includes(r.group) && rule.resources.includes(resource) && rule.verbs.includes(verb));
}

describe('RBAC requirements', () => {
  it('the documented ClusterRole grants every permission pre-flight asks for, on every metrics path', () => {
    const rules = documentedRole();
    for (const metrics of ['in-cluster-prometheus', 'azure-monitor', 'external'] as const) {
      for (const req of suiteRequirements({ meshNamespace: 'osm-system', metrics })) {
        for (const r of 'anyOf' in req ? req.anyOf : [req]) {
          for (const verb of r.verbs) assert.ok(granted(rules, r, verb), `docs/preflight.md ClusterRole lacks ${verb} ${resourceName(r)}`);
        }
      }
    }
  });

  it('asks for the metrics path the configuration uses, and for the run namespace by a placeholder', () => {
    const names = (m: 'in-cluster-prometheus' | 'azure-monitor' | 'external') => suiteRequirements({ meshNamespace: 'kube-system', metrics: m })
      .flatMap((r) => ('anyOf' in r ? r.anyOf : [r])).map((r) => `${resourceName(r)}@${r.namespace ?? '*'}`);
    assert.ok(names('in-cluster-prometheus').includes('services/proxy@kube-system'));
    assert.ok(names('in-cluster-prometheus').includes('pods/portforward@kube-system'));
    assert.ok(names('azure-monitor').includes('configmaps@kube-system'));
    assert.ok(!names('external').some((n) => n.startsWith('configmaps') || n.startsWith('services/proxy')));
    assert.ok(names('external').includes('ingressbackends.policy.openservicemesh.io@mesh-conformance-preflight'));
    assert.ok(names('external').includes('namespaces@*'));
  });
});
