// Requirement (issue 16 §3): every shipped manifest in deploy/ passes a real `kubectl apply --dry-run=server`
// (kubectl 1.32) against the simulated cluster, after what an operator creates first: the namespaces the manifests
// land in, and Testkube's CRD (a minimal stand-in: testworkflows.testkube.io/v1 with an open schema; the real CRD
// comes with Testkube's Helm chart). The Sonobuoy plugin definition is not a Kubernetes object: its container and pod
// spec are dry-run as the Pod Sonobuoy makes of them. The GitHub Actions matrix is not applied anywhere: its command
// line goes through `mesh-conformance config`, which takes the flags of `run` and touches nothing.
// Where the upstream kube-apiserver is built (`npm run upstream:build`), the same dry run also goes against it,
// which validates every field with the real API's schemas (the simulator stores objects without schemas).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { parse, stringify } from 'yaml';
import { packageRoot } from './conformance-run.ts';
import type { Manifest } from './deploy-support.ts';
import { deployManifests, kubectl, startLoggedSim } from './deploy-support.ts';
import { startCli } from './reliability-support.ts';

// The API group of the kind is testworkflows.testkube.io, so the CRD is testworkflows.testworkflows.testkube.io.
const testWorkflowCrd = {
  apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition',
  metadata: { name: 'testworkflows.testworkflows.testkube.io' },
  spec: {
    group: 'testworkflows.testkube.io', scope: 'Namespaced',
    names: { kind: 'TestWorkflow', listKind: 'TestWorkflowList', plural: 'testworkflows', singular: 'testworkflow' },
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
  },
};

/** The Pod Sonobuoy runs for a Job plugin: its podSpec (or the default) plus the plugin container and the results volume. */
function sonobuoyPod(): Manifest {
  const plugin = parse(readDeploy('sonobuoy-plugin.yaml')) as { 'sonobuoy-config': Record<string, string>; spec: Record<string, unknown>; podSpec?: Record<string, unknown> };
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: `sonobuoy-${plugin['sonobuoy-config']['plugin-name']}-job`, namespace: 'sonobuoy' },
    // Sonobuoy's default podSpec runs plugins as sonobuoy-serviceaccount, which `sonobuoy run` creates.
    spec: { restartPolicy: 'Never', serviceAccountName: 'sonobuoy-serviceaccount', ...(plugin.podSpec ?? {}), containers: [plugin.spec], volumes: [{ name: 'results', emptyDir: {} }] },
  };
}

function readDeploy(file: string): string {
  return readFileSync(join(packageRoot, 'deploy', file), 'utf8');
}

/** Dry-runs every shipped manifest against one API server; returns kubectl's lines. */
async function dryRunAll(kubeconfig: string, dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const podFile = join(dir, 'sonobuoy-pod.yaml');
  writeFileSync(podFile, stringify(sonobuoyPod()));
  for (const [name, file] of [['rbac.yaml', join(packageRoot, 'deploy', 'rbac.yaml')], ['job.yaml', join(packageRoot, 'deploy', 'job.yaml')],
    ['testkube-testworkflow.yaml', join(packageRoot, 'deploy', 'testkube-testworkflow.yaml')], ['sonobuoy-plugin.yaml (as its Pod)', podFile]] as const) {
    const r = await kubectl(kubeconfig, ['apply', '--dry-run=server', '-f', file]);
    expect(r.code, `${name}: ${r.stderr}`).toBe(0);
    out[name] = r.stdout;
  }
  return out;
}

async function prepare(kubeconfig: string, dir: string): Promise<void> {
  for (const ns of ['mesh-conformance', 'testkube', 'sonobuoy', 'osm-system']) {
    const r = await kubectl(kubeconfig, ['create', 'namespace', ns]);
    expect(r.code === 0 || /AlreadyExists/.test(r.stderr), r.stderr).toBe(true);
  }
  const sa = await kubectl(kubeconfig, ['-n', 'sonobuoy', 'create', 'serviceaccount', 'sonobuoy-serviceaccount']);
  expect(sa.code === 0 || /AlreadyExists/.test(sa.stderr), sa.stderr).toBe(true);
  const crd = join(dir, 'testworkflow-crd.yaml');
  writeFileSync(crd, stringify(testWorkflowCrd));
  const r = await kubectl(kubeconfig, ['apply', '-f', crd]);
  expect(r.code, r.stderr).toBe(0);
  const established = await kubectl(kubeconfig, ['wait', '--for=condition=established', `crd/${testWorkflowCrd.metadata.name}`, '--timeout=30s']);
  expect(established.code, established.stderr).toBe(0);
}

function expectEveryObject(out: Record<string, string>): void {
  expect(out['rbac.yaml']).toMatch(/namespace\/mesh-conformance \w+ \(server dry run\)/);
  for (const o of deployManifests('rbac.yaml')) expect(out['rbac.yaml']).toContain(`/${o.metadata.name}`);
  expect(out['job.yaml']).toMatch(/job\.batch\/mesh-conformance (created|configured|unchanged) \(server dry run\)/);
  expect(out['testkube-testworkflow.yaml']).toMatch(/testworkflow\.testworkflows\.testkube\.io\/mesh-conformance created \(server dry run\)/);
  expect(out['sonobuoy-plugin.yaml (as its Pod)']).toMatch(/pod\/sonobuoy-mesh-conformance-job created \(server dry run\)/);
}

test.describe('deploy/: server-side dry run', () => {
  test('against the simulated cluster (kubectl 1.32); a missing CRD fails it', async () => {
    test.setTimeout(150_000);
    const dir = mkdtempSync(join(tmpdir(), 'mc-deploy-'));
    const sim = await startLoggedSim(join(dir, 'sim'));
    try {
      // The dry run can fail: before Testkube's CRD exists its kind is unknown to the server.
      const early = await kubectl(sim.kubeconfig, ['apply', '--dry-run=server', '-f', join(packageRoot, 'deploy', 'testkube-testworkflow.yaml')]);
      expect(early.code).not.toBe(0);
      // (kube-apiserver: "no matches for kind"; against the simulator kubectl's client-side validation stops first, as
      // it falls back to the protobuf OpenAPI v2 document for a kind it does not know, which the simulator does not serve.)
      expect(early.stderr).toMatch(/no matches for kind "TestWorkflow" in version "testworkflows\.testkube\.io\/v1"|error validating "\S+testkube-testworkflow\.yaml"/);
      await prepare(sim.kubeconfig, dir);
      expectEveryObject(await dryRunAll(sim.kubeconfig, dir));
      // Nothing was stored by the dry runs.
      const jobs = await kubectl(sim.kubeconfig, ['get', 'jobs,clusterroles,testworkflows', '-A', '-o', 'name']);
      expect(jobs.stdout.trim()).toBe('');
    } finally {
      await sim.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the Sonobuoy plugin is a JUnit Job plugin writing to the results directory Sonobuoy collects', () => {
    const plugin = parse(readDeploy('sonobuoy-plugin.yaml')) as { 'sonobuoy-config': Record<string, string>; spec: { image: string; args: string[]; volumeMounts: { mountPath: string; name: string }[] } };
    expect(plugin['sonobuoy-config']).toMatchObject({ driver: 'Job', 'plugin-name': 'mesh-conformance', 'result-format': 'junit' });
    expect(plugin.spec.image).toMatch(/^ghcr\.io\/mesh-conformance\/mesh-conformance:\d/);
    const dirArg = plugin.spec.args[plugin.spec.args.indexOf('--results-dir') + 1];
    expect(dirArg).toBe('/tmp/sonobuoy/results');
    expect(plugin.spec.volumeMounts).toContainEqual({ mountPath: dirArg, name: 'results' });
    expect(plugin.spec.args).toContain('--in-cluster');
  });

  test('the GitHub Actions matrix runs `mesh-conformance run` with flags the CLI accepts', async () => {
    const wf = parse(readDeploy('github-actions/mesh-conformance-matrix.yml')) as { jobs: { conformance: { strategy: { 'fail-fast': boolean; matrix: { include: { context: string; target: string }[] } }; steps: { run?: string }[] } } };
    const job = wf.jobs.conformance;
    expect(job.strategy['fail-fast']).toBe(false);
    expect(job.strategy.matrix.include.length).toBeGreaterThan(1);
    const line = job.steps.map((s) => s.run ?? '').find((r) => r.includes('mesh-conformance run'));
    expect(line).toBeDefined();
    const leg = job.strategy.matrix.include[0]!;
    const args = (line ?? '').replace(/^npx mesh-conformance run /, '').replace(/\$\{\{ matrix\.(\w+) \}\}/g, (_m, k: string) => (leg as Record<string, string>)[k] ?? '')
      .replace(/"\$RUNNER_TEMP\/kubeconfig"/g, join(tmpdir(), 'kubeconfig')).split(/\s+/).filter(Boolean);
    const cfg = startCli(['config', '-o', 'json', ...args]);
    const ended = await cfg.ended;
    expect(ended.code, cfg.output()).toBe(0);
    expect((JSON.parse(cfg.stdout()) as { config: Record<string, unknown> }).config).toMatchObject({ target: leg.target, context: leg.context, resultsDir: `results/${leg.context}` });
  });
});

/** The upstream build's kube-apiserver (npm run upstream:build), if present. */
function upstreamBuilt(): boolean {
  const root = process.env.MESH_UPSTREAM_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'mesh-conformance', 'upstream');
  return existsSync(root) && readdirSync(root).some((v) => existsSync(join(root, v, 'bin', 'kube-apiserver')) && existsSync(join(root, v, 'bin', 'etcd')));
}

test.describe('deploy/: server-side dry run against the real kube-apiserver', () => {
  test('every manifest validates with the upstream API\'s schemas (skipped where the upstream binaries are not built: npm run upstream:build)', async () => {
    test.skip(!upstreamBuilt(), 'the upstream control plane is not built here (npm run upstream:build); the simulator\'s dry run above still ran');
    test.setTimeout(150_000);
    const dir = mkdtempSync(join(tmpdir(), 'mc-deploy-upstream-'));
    const kubeconfig = join(dir, 'kubeconfig');
    const child = spawn(process.execPath, ['--import', 'tsx', join(packageRoot, 'simulator', 'src', 'upstream', 'main.ts'), '--kubeconfig', kubeconfig, '--no-scheduler', '--no-controller-manager'], { cwd: packageRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let output = '';
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the upstream control plane did not start within 90s:\n${output}`)), 90_000);
        const onData = (c: Buffer): void => {
          output += c.toString();
          if (/upstream control plane ready /.test(output)) {
            clearTimeout(timer);
            resolve();
          }
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`the upstream control plane exited ${code}:\n${output}`));
        });
      });
      await prepare(kubeconfig, dir);
      expectEveryObject(await dryRunAll(kubeconfig, dir));
    } finally {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
