/**
 * OPA with its Envoy ext_authz plugin, installed as `kind-up --with opa` installs it: the objects of
 * deploy/opa/opa-envoy.yaml (after OSM's walkthrough, osm-docs release-v1.2 manifests/opa/deploy-opa-envoy.yaml) and
 * the ConfigMap `opa-policy` holding deploy/opa/policy.rego. Read from the repository's files, so the simulated
 * cluster and kind-up install the same thing. MeshConfig is left as OSM installs it (external authorization off):
 * the check turns it on (docs/external-authorization.md).
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../cluster/types.ts';

const deployDir = new URL('../../../deploy/opa/', import.meta.url);

/** The policy file's text (the ConfigMap `opa-policy`, key `policy.rego`). */
export function opaPolicyText(): string {
  return readFileSync(new URL('policy.rego', deployDir), 'utf8');
}

export const opaNamespace = 'opa';
export const opaPolicyConfigMap = 'opa-policy';

export function opaObjects(): KubeObject[] {
  const docs = parseAllDocuments(readFileSync(new URL('opa-envoy.yaml', deployDir), 'utf8')).map((d) => d.toJS() as KubeObject | null);
  const objects = docs.filter((o): o is KubeObject => o !== null);
  const policy: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: opaPolicyConfigMap, namespace: opaNamespace }, data: { 'policy.rego': opaPolicyText() } };
  // The namespace first, the policy before the Deployment that mounts it.
  return [objects[0]!, policy, ...objects.slice(1)];
}
