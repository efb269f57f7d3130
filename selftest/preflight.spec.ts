// Requirement (issue 5): pre-flight stops a real-target run before anything is written (exit 2) with a hint per
// problem: the OSM control plane (deployments Ready, MeshConfig, CRDs, injector webhook), the ingress controller
// of the profile, and RBAC (SelfSubjectAccessReview). The simulated cluster is started once per flavor with
// `mesh-conformance sim` and broken step by step, as an operator's cluster would be; each run goes through the CLI
// as `run --target kind|aks --kubeconfig <sim> --context <ctx>`. (API access failures: cli/preflight.test.ts.)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import type { KubernetesObject } from '@kubernetes/client-node';
import { PatchStrategy } from '@kubernetes/client-node';
import { quickBudgets, runCliToEnd, startTestSim } from './reliability-support.ts';
import type { TestSim } from './reliability-support.ts';

const budgetMs = 15_000;

async function preflightRun(sim: TestSim, target: 'kind' | 'aks', env: Record<string, string> = {}) {
  const res = await runCliToEnd(['run', '--target', target, '--kubeconfig', sim.kubeconfig, '--context', sim.context], { env: { ...quickBudgets, ...env }, timeoutMs: 60_000 });
  return res;
}

/** Asserts exit 2, the report header naming context and server, that nothing started, and returns the problem lines. */
function expectStopped(res: { code: number | null; stdout: string; stderr: string }, sim: TestSim): string[] {
  expect(res.code, res.stderr + res.stdout).toBe(2);
  expect(res.stderr).toMatch(new RegExp(`^mesh-conformance: pre-flight failed \\(context ${sim.context}, server ${sim.server.replace(/[.]/g, '\\.')}, Kubernetes v[\\d.]+\\): \\d+ problems?, nothing was written to the cluster\\n`));
  expect(res.stdout, 'the suite never started').not.toMatch(/mesh-conformance: run \S+ target=/);
  expect(res.stderr, 'no stack trace').not.toMatch(/\n\s+at /);
  const lines = res.stderr.split('\n').filter((l) => l.startsWith('  - ['));
  for (const l of lines) expect(l, 'every problem has a hint').toMatch(/\. Hint: \S/);
  return lines;
}

test.describe('pre-flight on the kind flavor, broken step by step', () => {
  test.describe.configure({ mode: 'serial' });
  let sim: TestSim;

  let dir: string;

  // Not under testInfo.outputPath: Playwright empties a test's output directory, and the simulator outlives tests.
  test.beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mc-preflight-kind-'));
    sim = await startTestSim(join(dir, 'sim'));
  });
  test.afterAll(async () => {
    await sim?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('an ingress profile that does not match the cluster (agic on kind)', async () => {
    const lines = expectStopped(await preflightRun(sim, 'kind', { MESH_CONFORMANCE_INGRESS: 'agic' }), sim);
    expect(lines).toEqual([expect.stringMatching(/^ {2}- \[ingress\] the Application Gateway Ingress Controller is not installed \(no Deployment kube-system\/ingress-appgw-deployment\)\. Hint: enable the AGIC add-on: `az aks enable-addons --addons ingress-appgw/)]);
  });

  test('the wrong mesh namespace names where OSM runs', async () => {
    const lines = expectStopped(await preflightRun(sim, 'kind', { MESH_CONFORMANCE_MESH_NAMESPACE: 'kube-system' }), sim);
    expect(lines[0]).toMatch(/^ {2}- \[control-plane\] OSM control plane not found in namespace kube-system: no Deployment osm-controller, osm-injector, osm-bootstrap\. Hint: osm-controller runs in namespace osm-system: set meshNamespace: osm-system/);
  });

  test('the wrong mesh name', async () => {
    const lines = expectStopped(await preflightRun(sim, 'kind', { MESH_CONFORMANCE_MESH_NAME: 'other' }), sim);
    expect(lines).toContainEqual(expect.stringMatching(/\[control-plane\] osm-controller in osm-system runs mesh "osm", but the configuration says meshName "other"\. Hint: set meshName: osm/));
  });

  test('osm-injector not Ready', async () => {
    await sim.client.patch({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'osm-system', name: 'osm-injector' }, { spec: { replicas: 0 } }, { budgetMs, strategy: PatchStrategy.MergePatch });
    const lines = expectStopped(await preflightRun(sim, 'kind'), sim);
    // The Deployment, and what it breaks: its webhook has no backend, so admission of pods is refused.
    expect(lines).toEqual([
      expect.stringMatching(/^ {2}- \[control-plane\] osm-injector: 0\/0 ready \(scaled to 0 replicas\), no restarts\. Hint: scale it back: `kubectl -n osm-system scale deploy\/osm-injector --replicas=1`/),
      expect.stringMatching(/^ {2}- \[crds-webhooks\] MutatingWebhookConfiguration osm-webhook-osm calls osm-injector, which has no ready endpoint: pod creation in monitored namespaces is refused \(failurePolicy Fail\)\. Hint: /),
    ]);
  });

  test('the injector webhook is missing', async () => {
    await sim.client.delete({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', name: 'osm-webhook-osm' }, { budgetMs });
    const lines = expectStopped(await preflightRun(sim, 'kind'), sim);
    expect(lines).toContainEqual(expect.stringMatching(/\[crds-webhooks\] no MutatingWebhookConfiguration calls osm-injector in osm-system \(expected osm-webhook-osm\), so pods would get no sidecar\. Hint: osm-injector creates it when it starts/));
  });

  test('the MeshConfig is missing', async () => {
    await sim.client.delete({ apiVersion: 'config.openservicemesh.io/v1alpha2', kind: 'MeshConfig', namespace: 'osm-system', name: 'osm-mesh-config' }, { budgetMs });
    const lines = expectStopped(await preflightRun(sim, 'kind'), sim);
    expect(lines).toContainEqual(expect.stringMatching(/\[mesh-config\] MeshConfig osm-system\/osm-mesh-config not found\. Hint: osm-bootstrap creates it from ConfigMap preset-mesh-config/));
  });

  test('the IngressBackend CRD is missing', async () => {
    await sim.client.delete({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: 'ingressbackends.policy.openservicemesh.io' }, { budgetMs });
    const lines = expectStopped(await preflightRun(sim, 'kind'), sim);
    expect(lines).toContainEqual(expect.stringMatching(/\[crds-webhooks\] CustomResourceDefinition ingressbackends\.policy\.openservicemesh\.io not found\. Hint: OSM's CRDs are installed by osm-bootstrap/));
  });

  test('the ingress-nginx controller Service is missing', async () => {
    await sim.client.delete({ apiVersion: 'v1', kind: 'Service', namespace: 'ingress-nginx', name: 'ingress-nginx-controller' }, { budgetMs });
    const lines = expectStopped(await preflightRun(sim, 'kind'), sim);
    expect(lines).toContainEqual(expect.stringMatching(/\[ingress\] Service ingress-nginx\/ingress-nginx-controller not found \(the mesh's ingress policy names it as the trusted source\)\. Hint: install ingress-nginx/));
    // Nothing was written by any of these runs: no object carries a run-id label.
    const namespaces = await sim.client.list<KubernetesObject>({ apiVersion: 'v1', kind: 'Namespace' }, { labelSelector: 'mesh-conformance.io/run-id' }, { budgetMs });
    expect(namespaces.items.map((n) => n.metadata?.name)).toEqual([]);
  });
});

test.describe('pre-flight on the aks flavor', () => {
  test('RBAC: a denied permission stops the run, naming the verbs, the resource and the reproduction', async ({}, testInfo) => {
    const sim = await startTestSim(testInfo.outputPath('sim-aks'), { flavor: 'aks', faults: ['access-review-denied'] });
    try {
      const lines = expectStopped(await preflightRun(sim, 'aks'), sim);
      // The aks profile's control plane (kube-system) and AGIC pass; only RBAC is reported.
      expect(lines).toEqual([expect.stringMatching(/^ {2}- \[permissions\] RBAC: may not create, patch, get, delete, list, watch ingressbackends\.policy\.openservicemesh\.io in the namespaces the run creates, needed to admit the ingress into the mesh \(no RBAC rule grants .*\)\. Hint: a cluster admin must grant it with a ClusterRole bound to you .*reproduce with `kubectl auth can-i create ingressbackends\.policy\.openservicemesh\.io -n mesh-conformance-preflight`$/)]);
    } finally {
      await sim.stop();
    }
  });
});
