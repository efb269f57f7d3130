// Requirement (issue 13, OSM → Istio migration, verified): on the simulator's osm-migration-demo (AKS, OSM add-on in
// non-permissive mode, SMI policies, a TrafficSplit, an IngressBackend), the whole path: inventory and baseline on
// OSM, the add-on switch as the AKS guidance does it (disable OSM, delete its leftover webhooks, enable Istio
// asm-1-30), the plan applied (namespaces relabelled, manifests applied, workloads restarted), and verify with no
// changed behaviour. Two ways the verdict must fail: a translation fault (a TrafficTarget translated too
// permissively: verify exits 1 naming the namespace and the pair that went from denied to allowed), and the simulator
// fault authz-path-prefix-ignored (Istio refuses routes allowed by prefix: allowed → denied).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubernetesObject, V1Deployment, V1Pod } from '@kubernetes/client-node';
import { PatchStrategy } from '@kubernetes/client-node';
import { expect, test } from '@playwright/test';
import { parseAllDocuments } from 'yaml';
import { startSimulator } from '../cli/simulator-process.ts';
import type { RunningSimulator } from '../cli/simulator-process.ts';
import { KubeClient } from '../harness/k8s/kube-client.ts';
import { kubectl } from './deploy-support.ts';
import type { WatchReport } from '../harness/migrate/watch.ts';
import { resourceTypes } from '../harness/k8s/resources.ts';

const root = join(import.meta.dirname, '..');
const budget = { budgetMs: 15_000 };
const revision = 'asm-1-30';
const appNamespaces = ['bookbuyer', 'bookstore', 'bookthief', 'bookwarehouse'];

interface CliRun { code: number | null; stdout: string; stderr: string }

function cli(args: string[]): Promise<CliRun> {
  const child = spawn(process.execPath, ['bin/mesh-conformance.js', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** A CLI run left running (migrate watch): its output so far, a stop (SIGINT, the watch's normal end) and its end. */
function background(args: string[]): { output: () => CliRun; stop: () => Promise<CliRun> } {
  const child = spawn(process.execPath, ['bin/mesh-conformance.js', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const run: CliRun = { code: null, stdout: '', stderr: '' };
  child.stdout.on('data', (c: Buffer) => { run.stdout += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { run.stderr += c.toString(); });
  const ended = new Promise<CliRun>((resolve) => child.on('close', (code) => resolve({ ...run, code })));
  return { output: () => run, stop: () => { child.kill('SIGINT'); return ended; } };
}

/** The paths the watch's progress lines say are failing now (DOWN without a later UP). */
function stillDown(stderr: string): string[] {
  const down = new Set<string>();
  for (const m of stderr.matchAll(/^migrate watch: \S+ (DOWN|UP) (.+?)(?:: .*| after [\d.]+ m?s)$/gm)) {
    if (m[1] === 'DOWN') down.add(m[2] ?? '');
    else down.delete(m[2] ?? '');
  }
  return [...down];
}

/** `az aks …` against the simulator's AKS management endpoint (aks-management.json next to the kubeconfig). */
async function az(kubeconfig: string, operation: string, body: Record<string, unknown>): Promise<void> {
  const access = JSON.parse(readFileSync(join(kubeconfig, '..', 'aks-management.json'), 'utf8')) as { endpoint: string; resourceId: string; tokenFile: string; caFile: string };
  const { Agent, request } = await import('undici');
  const res = await request(`${access.endpoint}${access.resourceId}/${operation}`, {
    method: 'POST', body: JSON.stringify(body),
    headers: { authorization: `Bearer ${readFileSync(access.tokenFile, 'utf8').trim()}`, 'content-type': 'application/json' },
    dispatcher: new Agent({ connect: { ca: readFileSync(access.caFile, 'utf8') } }),
  });
  const text = await res.body.text();
  expect(res.statusCode, `POST ${operation}: ${text.slice(0, 300)}`).toBe(200);
}

/** `kubectl rollout restart deployment -n <ns>` for every Deployment of the namespaces (the watch's probe clients too). */
async function restart(client: KubeClient, namespaces: string[]): Promise<void> {
  const restartedAt = new Date().toISOString();
  for (const ns of namespaces) {
    for (const d of (await client.list<V1Deployment>(resourceTypes.deployment, { namespace: ns }, budget)).items) {
      await client.patch({ ...resourceTypes.deployment, namespace: ns, name: d.metadata?.name ?? '' }, { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': restartedAt } } } } }, { ...budget, strategy: PatchStrategy.MergePatch });
    }
  }
}

/** Waits until every pod of the namespaces runs, the old ones gone, each with the Istio sidecar (or, `without`, none). */
async function podsOnIstio(client: KubeClient, namespaces: string[], sidecar: 'istio' | 'none' = 'istio'): Promise<void> {
  await expect.poll(async () => {
    const pods = (await Promise.all(namespaces.map(async (ns) => (await client.list<V1Pod>(resourceTypes.pod, { namespace: ns }, budget)).items))).flat();
    return pods.map((p) => `${p.metadata?.name ?? ''} ${p.status?.phase ?? ''} ${(p.spec?.initContainers ?? []).concat(p.spec?.containers ?? []).some((c) => c.name === 'istio-proxy') ? 'istio' : 'none'}`)
      .filter((s) => !s.endsWith(`Running ${sidecar}`));
  }, { message: `every pod of ${namespaces.join(', ')} restarted, Running with ${sidecar === 'istio' ? 'the Istio sidecar' : 'no sidecar'}`, timeout: 120_000 }).toEqual([]);
}

/**
 * The guidance's steps 2–9 with the plan: disable OSM, delete its webhooks, enable Istio, relabel, apply, restart.
 * `firstRestart`: restart that namespace alone first, and call `then` once its pods run on Istio (a staggered restart).
 */
async function cutOver(client: KubeClient, kubeconfig: string, planDir: string, opts: { baseline?: string; firstRestart?: { namespace: string; then: () => Promise<void> } } = {}): Promise<void> {
  const { baseline, firstRestart } = opts;
  await az(kubeconfig, 'disableAddons', { addons: 'open-service-mesh' });
  if (baseline) {
    // Verify reports the leftover webhooks (they block pod admission) and fails before it sends any probe.
    const early = await cli(['migrate', 'verify', '--kubeconfig', kubeconfig, '--baseline', baseline]);
    expect(early.code, `${early.stdout}\n${early.stderr}`).toBe(1);
    expect(early.stdout).toMatch(/leftover FAIL MutatingWebhookConfiguration aks-osm-webhook-osm of OSM calls kube-system\/osm-injector, which is gone, with failurePolicy Fail/);
    expect(early.stdout).toMatch(/migrate verify: FAILED: [12] leftovers of osm block the cluster/);
  }
  // The add-on leaves OSM's webhooks behind; with their Services gone they refuse pod admission until deleted.
  const webhooks = [
    ...(await client.list({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration' }, {}, budget)).items,
    ...(await client.list({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration' }, {}, budget)).items,
  ].filter((w) => /osm/.test(w.metadata?.name ?? ''));
  expect(webhooks.map((w) => w.metadata?.name).sort()).toEqual(['aks-osm-validator-mesh-osm', 'aks-osm-webhook-osm']);
  for (const w of webhooks) await client.delete({ apiVersion: w.apiVersion ?? '', kind: w.kind ?? '', name: w.metadata?.name ?? '' }, budget);
  await az(kubeconfig, 'meshEnable', { revision });
  for (const ns of appNamespaces) await relabel(client, ns, revision);
  await applyPlan(client, planDir);
  if (firstRestart) {
    await restart(client, [firstRestart.namespace]);
    await podsOnIstio(client, [firstRestart.namespace]);
    await firstRestart.then();
  }
  await restart(client, appNamespaces.filter((ns) => ns !== firstRestart?.namespace));
  await podsOnIstio(client, appNamespaces);
}

/**
 * Steps 6–7: the OSM labels and annotations off, `istio.io/rev` on; with `legacy`, `istio-injection=enabled` instead
 * (which the AKS add-on ignores).
 */
async function relabel(client: KubeClient, ns: string, rev: string | { legacy: true }): Promise<void> {
  const istio = typeof rev !== 'string' ? { 'istio.io/rev': null, 'istio-injection': 'enabled' } : { 'istio.io/rev': rev };
  await client.patch({ ...resourceTypes.namespace, name: ns }, {
    metadata: { labels: { 'openservicemesh.io/monitored-by': null, ...istio }, annotations: { 'openservicemesh.io/sidecar-injection': null, 'openservicemesh.io/metrics': null } },
  }, { ...budget, strategy: PatchStrategy.MergePatch });
}

function planObjects(planDir: string): KubernetesObject[] {
  return readdirSync(planDir).filter((f) => f.endsWith('.yaml')).sort()
    .flatMap((f) => parseAllDocuments(readFileSync(join(planDir, f), 'utf8')).map((d) => d.toJS() as KubernetesObject | null))
    .filter((o): o is KubernetesObject => Boolean(o?.kind));
}

async function applyPlan(client: KubeClient, planDir: string): Promise<void> {
  for (const o of planObjects(planDir)) await client.apply(o, budget);
}

/** Applies `planDir` as `kubectl apply --prune` would after `previousDir`: what only the previous plan had is deleted. */
async function applyPruning(client: KubeClient, planDir: string, previousDir: string): Promise<void> {
  const key = (o: KubernetesObject): string => `${o.kind ?? ''}/${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
  const kept = new Set(planObjects(planDir).map(key));
  for (const o of planObjects(previousDir).filter((x) => !kept.has(key(x)))) {
    await client.delete({ apiVersion: o.apiVersion ?? '', kind: o.kind ?? '', namespace: o.metadata?.namespace ?? '', name: o.metadata?.name ?? '' }, budget);
  }
  await applyPlan(client, planDir);
}

async function startDemo(dir: string, faults: string[]): Promise<{ sim: RunningSimulator; client: KubeClient; kubeconfig: string }> {
  const sim = await startSimulator({ flavor: 'aks', kubeconfig: join(dir, 'kubeconfig'), faults, scenario: 'osm-migration-demo', timeoutMs: 150_000 });
  return { sim, client: KubeClient.connect({ kubeconfig: sim.ready.kubeconfig, context: sim.ready.context }), kubeconfig: sim.ready.kubeconfig };
}

/** Inventory and baseline on OSM, with what they must show. */
async function baselineOnOsm(dir: string, kubeconfig: string): Promise<void> {
  const inventory = await cli(['migrate', 'inventory', '--kubeconfig', kubeconfig, '-o', 'json']);
  expect(inventory.code, inventory.stderr).toBe(0);
  writeFileSync(join(dir, 'inventory.json'), inventory.stdout);
  const baseline = await cli(['migrate', 'baseline', '--kubeconfig', kubeconfig, '--out', join(dir, 'baseline.json')]);
  expect(baseline.code, baseline.stderr).toBe(0);
  // bookbuyer may reach bookstore's two routes (on the apex and both versions): 6 allowed; everything else is refused.
  expect(baseline.stdout).toContain('baseline on osm: 6 allowed, 42 denied, 0 errors; 5/5 pods with a sidecar; ingress paths: 1 allowed, 0 denied, 0 errors');
  expect(baseline.stdout).toContain('ingress GET bookstore.demo.test/get → bookstore/bookstore via Ingress bookstore/bookstore: allowed (200)');
  expect(baseline.stdout).toContain('not probed: bookwarehouse/bookwarehouse route bookwarehouse-service-routes/restock-books');
}

test.describe('migrate: OSM to Istio on the osm-migration-demo', () => {
  // One after the other: each is a simulator with 5 workloads and 4 probe pods, and the API calls have 15 s budgets.
  test.describe.configure({ mode: 'default', timeout: 420_000 });

  test('inventory, baseline, switch, plan, apply, verify: no behaviour changes; a too permissive translation fails verify, naming the pair', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-conformance-migrate-'));
    const { sim, client, kubeconfig } = await startDemo(dir, []);
    try {
      await baselineOnOsm(dir, kubeconfig);
      const plan = await cli(['migrate', 'plan', '--inventory', join(dir, 'inventory.json'), '--revision', revision, '--out', join(dir, 'plan')]);
      expect(plan.code, plan.stderr).toBe(0);
      expect(plan.stdout).toContain('not translated: Egress bookwarehouse/example-api');
      // migrate watch through the cutover, restarted in two steps: bookstore first, then the others. bookbuyer, still
      // on OSM's last configuration, cannot reach bookstore's new pods until it is restarted too: the watch measures that.
      const watchFile = join(dir, 'watch.json');
      const watch = background(['migrate', 'watch', '--kubeconfig', kubeconfig, '--baseline', join(dir, 'baseline.json'), '--rate', '50', '--duration', '6m', '--out', watchFile]);
      await expect.poll(() => watch.output().stderr, { message: 'migrate watch started probing', timeout: 120_000 }).toMatch(/migrate watch: watching 49 paths at 50 requests\/s/);
      await cutOver(client, kubeconfig, join(dir, 'plan'), {
        baseline: join(dir, 'baseline.json'),
        firstRestart: {
          namespace: 'bookstore',
          then: () => expect.poll(() => watch.output().stderr, { message: 'the watch saw bookbuyer lose bookstore', timeout: 60_000 }).toMatch(/DOWN bookbuyer\/bookbuyer → bookstore\.bookstore:14001/),
        },
      });
      await expect.poll(() => stillDown(watch.output().stderr), { message: 'every path the cutover took down is UP again (watch progress lines)', timeout: 120_000 }).toEqual([]);
      // Once the census sees bookstore's Services served by Istio sidecars, a heartbeat counts answers judged mTLS.
      await expect.poll(() => {
        const err = watch.output().stderr;
        const switched = ['bookstore', 'bookstore-v1', 'bookstore-v2'].map((svc) => err.lastIndexOf(`Service bookstore/${svc} now served by pods with istio sidecars`));
        if (switched.some((i) => i < 0)) return 'the census has not seen every bookstore Service on Istio yet';
        const after = err.slice(Math.max(...switched));
        const judged = [...after.matchAll(/judged mTLS (\d+), plaintext (\d+)$/gm)].map((m) => [Number(m[1]), Number(m[2])]);
        return judged.length >= 2 && (judged.at(-1)?.[0] ?? 0) > (judged[0]?.[0] ?? 0) ? 'judged' : `heartbeats since: ${JSON.stringify(judged)}`;
      }, { message: 'the watch judged answers from Istio-served bookstore as mTLS', timeout: 60_000 }).toBe('judged');
      const watched = await watch.stop();
      expect(watched.code, `${watched.stdout}\n${watched.stderr}`).toBe(0);
      const report = JSON.parse(readFileSync(watchFile, 'utf8')) as WatchReport & { verdict: string };
      expect(report.verdict).toBe('passed');
      expect(report.summary.downtimeMs).toBeGreaterThan(0);
      expect(report.summary.longestDowntime?.path).toMatch(/^bookbuyer\/bookbuyer → bookstore/);
      expect(report.summary).toMatchObject({ authorizationGapMs: 0, plaintext: 0, podsStillWithoutSidecar: 0 });
      expect(watched.stdout).toMatch(/^downtime: [\d.]+ m?s during which a path that was allowed failed \([\d.]+ m?s summed over \d paths\); longest window [\d.]+ m?s on bookbuyer\/bookbuyer → bookstore/m);
      // Istio answers carry the peer's certificate (XFCC): the answers after the cutover were judged, and were mTLS.
      expect(report.paths.filter((p) => p.namespace === 'bookstore' && p.expected === 'allowed').every((p) => p.mtls > 0), JSON.stringify(report.paths.map((p) => [p.id, p.mtls]))).toBe(true);
      // After the cutover the OSM CRDs are still there (a warning), the webhooks are gone.
      const verify = await cli(['migrate', 'verify', '--kubeconfig', kubeconfig, '--baseline', join(dir, 'baseline.json')]);
      expect(verify.code, `${verify.stdout}\n${verify.stderr}`).toBe(0);
      expect(verify.stdout).toContain('migrate verify: no behaviour changed from osm to istio (53 same, 0 new)');
      expect(verify.stdout).toContain('namespace bookstore: 38 same, 0 changed');
      expect(verify.stderr).toMatch(/ingress GET bookstore\.demo\.test\/get → bookstore\/bookstore via Gateway \S+ \(HTTPRoute bookstore\/\S+\): allowed \(200\)/);
      expect(verify.stdout).toMatch(/leftover WARN .*CRD/);
      expect(verify.stdout).not.toContain('leftover FAIL');

      // The translation fault: the TrafficTarget's AuthorizationPolicy admits any principal on both its routes.
      const faulty = await cli(['migrate', 'plan', '--inventory', join(dir, 'inventory.json'), '--revision', revision, '--out', join(dir, 'plan-faulty'), '--translation-fault', 'traffic-target-too-permissive']);
      expect(faulty.code, faulty.stderr).toBe(0);
      const planned = readFileSync(join(dir, 'plan-faulty', 'bookstore.yaml'), 'utf8');
      expect(planned).toContain('TRANSLATION FAULT traffic-target-too-permissive');
      await applyPlan(client, join(dir, 'plan-faulty'));
      const failing = await cli(['migrate', 'verify', '--kubeconfig', kubeconfig, '--baseline', join(dir, 'baseline.json')]);
      expect(failing.code, `${failing.stdout}\n${failing.stderr}`).toBe(1);
      expect(failing.stdout).toContain('namespace bookstore: 20 same, 18 changed');
      expect(failing.stdout).toMatch(/CHANGED bookthief\/bookthief → bookstore\.bookstore:14001 GET \/anything\/buy-a-book\/probe: before denied \(.*\), after allowed \(200\)/);
      expect(failing.stdout).toContain('migrate verify: FAILED: 18 behaviours changed from osm to istio');
      // The ingress gateway not admitted (the plan applied as `kubectl apply --prune` would): the ingress path changes.
      const noIngress = await cli(['migrate', 'plan', '--inventory', join(dir, 'inventory.json'), '--revision', revision, '--out', join(dir, 'plan-no-ingress'), '--translation-fault', 'ingress-not-admitted']);
      expect(noIngress.code, noIngress.stderr).toBe(0);
      await applyPruning(client, join(dir, 'plan-no-ingress'), join(dir, 'plan'));
      const unadmitted = await cli(['migrate', 'verify', '--kubeconfig', kubeconfig, '--baseline', join(dir, 'baseline.json')]);
      expect(unadmitted.code, `${unadmitted.stdout}\n${unadmitted.stderr}`).toBe(1);
      expect(unadmitted.stdout).toMatch(/^ {2}CHANGED ingress GET bookstore\.demo\.test\/get → bookstore\/bookstore: before allowed \(200\) via Ingress bookstore\/bookstore, after denied \(403 RBAC: access denied\) via Gateway /m);
      expect(unadmitted.stdout).toContain('migrate verify: FAILED: 1 behaviours changed from osm to istio');
      // A namespace relabelled istio-injection=enabled, which the add-on ignores, runs without sidecars once restarted:
      // the watch fails on an authorization gap (bookthief reaches bookstore's /get), answers without mTLS (judged by the
      // target mesh) and the pods; verify fails on the label and reports the pods.
      const watchFault = background(['migrate', 'watch', '--kubeconfig', kubeconfig, '--baseline', join(dir, 'baseline.json'), '--rate', '50', '--duration', '6m']);
      await expect.poll(() => watchFault.output().stderr, { message: 'the second migrate watch started probing', timeout: 120_000 }).toMatch(/migrate watch: watching 49 paths/);
      await relabel(client, 'bookstore', { legacy: true });
      await restart(client, ['bookstore']);
      await podsOnIstio(client, ['bookstore'], 'none');
      await expect.poll(() => watchFault.output().stderr, { message: 'the watch saw bookthief reach bookstore and a pod without a sidecar', timeout: 60_000 })
        .toMatch(/AUTHORIZATION GAP bookthief\/bookthief → bookstore\.bookstore:14001 GET \/get[^]*pod bookstore\/bookstore-v1-\S+ runs without a sidecar|pod bookstore\/bookstore-v1-\S+ runs without a sidecar[^]*AUTHORIZATION GAP bookthief\/bookthief → bookstore\.bookstore:14001 GET \/get/);
      const unsidecared = await watchFault.stop();
      expect(unsidecared.code, `${unsidecared.stdout}\n${unsidecared.stderr}`).toBe(1);
      expect(unsidecared.stdout).toMatch(/^FAIL authorization gap on \d+ paths that were denied before, [\d.]+ m?s in all; first /m);
      expect(unsidecared.stdout).toMatch(/^ {2}bookthief\/bookthief → bookstore\.bookstore:14001 GET \/get: AUTHORIZATION GAP [\d.]+ m?s in 1 windows/m);
      expect(unsidecared.stdout).toMatch(/^FAIL \d+ answers came without mTLS \(first: \S+ → bookstore/m);
      expect(unsidecared.stdout).toMatch(/^FAIL pod bookstore\/bookstore-v1-\S+ still runs without a sidecar/m);
      expect(unsidecared.stdout).toMatch(/^migrate watch: FAILED: \d+ problems$/m);
      const misonboarded = await cli(['migrate', 'verify', '--kubeconfig', kubeconfig, '--baseline', join(dir, 'baseline.json')]);
      expect(misonboarded.code, `${misonboarded.stdout}\n${misonboarded.stderr}`).toBe(1);
      expect(misonboarded.stdout).toMatch(/^onboarding FAIL bookstore: istio-injection=enabled, which no installed revision honours .*: the AKS add-on ignores it, so its pods get no sidecar/m);
      expect(misonboarded.stdout).toMatch(/^onboarding WARN bookstore: 2 of 2 pods have no istio-proxy sidecar: bookstore-v1-/m);
      // The probe pods and the watch's probe clients are gone.
      for (const ns of appNamespaces) {
        expect((await client.list<V1Pod>(resourceTypes.pod, { namespace: ns, labelSelector: 'mesh-conformance.io/migrate-probe' }, budget)).items.map((p) => p.metadata?.name)).toEqual([]);
        expect((await client.list<V1Deployment>(resourceTypes.deployment, { namespace: ns, labelSelector: 'mesh-conformance.io/migrate-probe' }, budget)).items.map((p) => p.metadata?.name)).toEqual([]);
      }
    } finally {
      await sim.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('simulator fault authz-path-prefix-ignored: the routes allowed by prefix are refused after the cutover, and verify says so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-conformance-migrate-fault-'));
    const { sim, client, kubeconfig } = await startDemo(dir, ['authz-path-prefix-ignored']);
    try {
      await baselineOnOsm(dir, kubeconfig);
      const plan = await cli(['migrate', 'plan', '--inventory', join(dir, 'inventory.json'), '--revision', revision, '--out', join(dir, 'plan')]);
      expect(plan.code, plan.stderr).toBe(0);
      await cutOver(client, kubeconfig, join(dir, 'plan'));
      // The plan passes a real kubectl's server-side dry run against the cluster now on Istio (its CRDs' schemas).
      const dryRun = await kubectl(kubeconfig, ['apply', '--dry-run=server', '-f', join(dir, 'plan')]);
      expect(dryRun.code, dryRun.stderr).toBe(0);
      expect(dryRun.stdout).toMatch(/^authorizationpolicy\.security\.istio\.io\/\S+ (configured|unchanged) \(server dry run\)$/m);
      expect(dryRun.stdout).toMatch(/^peerauthentication\.security\.istio\.io\/\S+ (configured|unchanged) \(server dry run\)$/m);
      const verify = await cli(['migrate', 'verify', '--kubeconfig', kubeconfig, '--baseline', join(dir, 'baseline.json')]);
      expect(verify.code, `${verify.stdout}\n${verify.stderr}`).toBe(1);
      // buy-a-book is allowed by the prefix /anything/buy-a-book/*; books-bought by an exact path still passes.
      expect(verify.stdout).toMatch(/CHANGED bookbuyer\/bookbuyer → bookstore\.bookstore:14001 GET \/anything\/buy-a-book\/probe: before allowed \(200\), after denied \(403 RBAC: access denied\)/);
      expect(verify.stdout).not.toMatch(/CHANGED [^\n]*books-bought/);
      expect(verify.stdout).toContain('migrate verify: FAILED: 3 behaviours changed from osm to istio');
    } finally {
      await sim.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
