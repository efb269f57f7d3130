#!/usr/bin/env -S node --import tsx
// Writes simulator/src/api/generated/builtin-openapi.json: the OpenAPI v2 definitions of the builtin kinds the
// simulated API server serves (and everything they reference), copied from kube-apiserver's published spec
// (k8s.io/kubernetes api/openapi-spec/swagger.json at the version upstream/go.mod pins). The API server serves them
// at /openapi/v2 and /openapi/v3 and uses them for field pruning, server-side apply and strategic merge patch.
// Usage: node --import tsx simulator/scripts/generate-builtin-openapi.ts [--swagger FILE]
// The swagger.json comes from the Go module cache (`go mod download k8s.io/kubernetes@<version>`, or
// `node scripts/upstream-build.mjs`, which downloads it with the rest).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const out = join(root, 'simulator/src/api/generated/builtin-openapi.json');

/** The definitions the simulated API server needs: its builtin kinds, their lists, and the subresource and meta types. */
const roots = [
  'io.k8s.api.core.v1.Namespace', 'io.k8s.api.core.v1.Pod', 'io.k8s.api.core.v1.Service', 'io.k8s.api.core.v1.Endpoints',
  'io.k8s.api.core.v1.ServiceAccount', 'io.k8s.api.core.v1.ConfigMap', 'io.k8s.api.core.v1.Secret', 'io.k8s.api.core.v1.Event',
  'io.k8s.api.core.v1.Node', 'io.k8s.api.core.v1.Binding', 'io.k8s.api.apps.v1.Deployment', 'io.k8s.api.apps.v1.ReplicaSet',
  'io.k8s.api.networking.v1.Ingress', 'io.k8s.api.networking.v1.IngressClass', 'io.k8s.api.discovery.v1.EndpointSlice',
  'io.k8s.api.coordination.v1.Lease',
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition',
  'io.k8s.api.admissionregistration.v1.MutatingWebhookConfiguration', 'io.k8s.api.admissionregistration.v1.ValidatingWebhookConfiguration',
  'io.k8s.api.authorization.v1.SelfSubjectAccessReview', 'io.k8s.api.authentication.v1.TokenRequest',
  'io.k8s.api.autoscaling.v1.Scale', 'io.k8s.api.policy.v1.Eviction',
  'io.k8s.apimachinery.pkg.apis.meta.v1.Status', 'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions',
  'io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent', 'io.k8s.apimachinery.pkg.apis.meta.v1.Patch',
];

const goMod = readFileSync(join(root, 'upstream/go.mod'), 'utf8');
const version = /^\s*k8s\.io\/kubernetes (v\d+\.\d+\.\d+)/m.exec(goMod)?.[1];
if (!version) throw new Error('upstream/go.mod pins no k8s.io/kubernetes version');

function swaggerPath(): string {
  const given = process.argv.indexOf('--swagger');
  if (given >= 0 && process.argv[given + 1]) return process.argv[given + 1]!;
  const modCache = execFileSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8' }).trim();
  const file = join(modCache, `k8s.io/kubernetes@${version}/api/openapi-spec/swagger.json`);
  if (!existsSync(file)) throw new Error(`${file} is missing: run "go mod download k8s.io/kubernetes@${version}" in upstream/ (or node scripts/upstream-build.mjs)`);
  return file;
}

const file = swaggerPath();
const swagger = JSON.parse(readFileSync(file, 'utf8')) as { definitions: Record<string, unknown>; parameters: Record<string, Record<string, unknown>>; paths: Record<string, Record<string, { parameters?: Record<string, unknown>[] }>> };
const names = new Set<string>();
const walk = (value: unknown): void => {
  if (Array.isArray(value)) {
    value.forEach(walk);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, v] of Object.entries(value)) {
    // `$ref` is also a property name inside JSONSchemaProps; only a string value is a reference.
    if (key === '$ref' && typeof v === 'string') add(v.replace('#/definitions/', ''));
    else walk(v);
  }
};
const add = (name: string): void => {
  if (names.has(name)) return;
  const def = swagger.definitions[name];
  if (def === undefined) throw new Error(`${file} has no definition ${name}`);
  names.add(name);
  walk(def);
};
for (const name of roots) {
  add(name);
  if (swagger.definitions[`${name}List`]) add(`${name}List`);
}
/** The query parameters of the resource verbs, by name (upstream shares most under #/parameters and inlines a few). */
const parameterNames = ['allowWatchBookmarks', 'continue', 'dryRun', 'fieldManager', 'fieldSelector', 'fieldValidation', 'force', 'gracePeriodSeconds',
  'labelSelector', 'limit', 'orphanDependents', 'propagationPolicy', 'resourceVersion', 'resourceVersionMatch', 'sendInitialEvents', 'timeoutSeconds', 'watch'];
const parameters: Record<string, unknown> = {};
const candidates = [...Object.values(swagger.parameters), ...Object.values(swagger.paths).flatMap((item) => Object.values(item).flatMap((op) => op.parameters ?? []))];
for (const name of parameterNames) {
  const found = candidates.find((p) => p.name === name && p.in === 'query');
  if (!found) throw new Error(`${file} has no query parameter ${name}`);
  parameters[name] = found;
}
const definitions = Object.fromEntries([...names].sort().map((name) => [name, swagger.definitions[name]]));
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify({
  generated: `by simulator/scripts/generate-builtin-openapi.ts from k8s.io/kubernetes ${version} api/openapi-spec/swagger.json; do not edit`,
  kubernetesVersion: version,
  parameters,
  definitions,
}, null, 1)}\n`);
process.stdout.write(`${out}: ${names.size} definitions from ${file}\n`);
