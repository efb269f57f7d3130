/**
 * `mesh-conformance migrate inventory|plan|baseline|verify` (docs/migration.md): a mesh-to-mesh migration, verified.
 * The source mesh's profile reads what it enforces (MeshProfileFactory.migration.inventory), the target's writes the
 * equivalent (migration.plan); baseline and verify probe the behaviour as each workload identity (harness/migrate/).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { stringify } from 'yaml';
import type { KubeClient } from '../harness/k8s/kube-client.ts';
import { meshFactory, meshNames } from '../harness/mesh/index.ts';
import type { BehaviourChange, BehaviourMatrix } from '../harness/migrate/behaviour.ts';
import { compareBehaviour, ingressProbesFor, probesFor } from '../harness/migrate/behaviour.ts';
import type { MeshInventory, MigrationPlan } from '../harness/migrate/model.ts';
import { probeBehaviour } from '../harness/migrate/probe-pods.ts';
import { coreCategories } from '../harness/readiness/core-categories.ts';
import { runCategories } from '../harness/readiness/readiness-registry.ts';
import type { ReadinessContext } from '../harness/readiness/readiness-registry.ts';
import type { ReadinessLine } from '../harness/readiness/readiness-result.ts';
import { errorText } from '../harness/text.ts';
import { timeouts } from '../harness/timeouts.ts';
import { BadInputError, exitCodes } from './exit-codes.ts';
import { connect, interruptible, meshNamed, reaching, readJson } from './migrate-common.ts';
import { runWatch } from './migrate-watch.ts';

/** `mesh-conformance migrate …` as parsed. */
export interface MigrateInvocation {
  command: 'migrate';
  action: 'inventory' | 'plan' | 'baseline' | 'verify' | 'watch';
  kubeconfig: string | undefined;
  context: string | undefined;
  from: string;
  to: string;
  /** The source mesh's control-plane namespace and mesh name (defaults: its profile's aks defaults). */
  meshNamespace: string | undefined;
  meshName: string | undefined;
  output: 'table' | 'json';
  /** plan: the directory to write; baseline: the JSON file to write. */
  out: string | undefined;
  /** plan: an inventory JSON (`inventory -o json`) to translate instead of reading the cluster. */
  inventory: string | undefined;
  revision: string | undefined;
  gatewayNamespace: string | undefined;
  translationFault: string | undefined;
  /** verify, watch: the baseline JSON. */
  baseline: string | undefined;
  /** watch: requests per second, how long, at most how many requests, ingress URLs, their Host, the downtime limit. */
  rate?: string | undefined;
  duration?: string | undefined;
  maxRequests?: string | undefined;
  urls?: string[] | undefined;
  host?: string | undefined;
  maxDowntime?: string | undefined;
}

type Out = { write: (s: string) => void };

async function readInventory(inv: MigrateInvocation, client: KubeClient): Promise<MeshInventory> {
  const from = meshFactory(meshNamed(inv.from, 'source'));
  const read = from.migration?.inventory;
  if (!read) throw new BadInputError(`the ${from.title} profile cannot be a migration source: choose --from ${meshNames.filter((n) => meshFactory(n).migration?.inventory).join(', ')}`);
  const defaults = from.defaults('aks');
  return reaching(client, () => read(client, { namespace: inv.meshNamespace ?? defaults.namespace, meshName: inv.meshName ?? defaults.meshName }, timeouts.apply));
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')).join('\n');
}

function printInventory(inv: MeshInventory, out: Out): void {
  out.write(`${inv.mesh.title}${inv.mesh.version ? ` ${inv.mesh.version}` : ''}: ${inv.mesh.controlPlane}\n\n`);
  out.write(`${table([['KIND', 'NAMESPACE', 'NAME', 'WHAT'], ...inv.items.map((i) => [i.kind, i.namespace ?? '-', i.name, i.summary])])}\n`);
  if (inv.unmodelled.length) {
    out.write('\nNo equivalent in the migration model (write by hand):\n');
    for (const u of inv.unmodelled) out.write(`  ${u.ref}: ${u.reason}\n`);
  }
}

function writePlan(plan: MigrationPlan, dir: string, out: Out): void {
  mkdirSync(dir, { recursive: true });
  for (const f of plan.files) {
    const header = [`# ${plan.from} → ${plan.to} migration plan for namespace ${f.namespace} (mesh-conformance migrate plan)`, ...(plan.translationFault ? [`# TRANSLATION FAULT ${plan.translationFault}: this plan is wrong on purpose`] : []), ...f.notes.map((n) => `# - ${n}`)];
    writeFileSync(join(dir, `${f.namespace}.yaml`), `${header.join('\n')}\n${f.objects.map((o) => `---\n${stringify(o, { aliasDuplicateObjects: false })}`).join('')}`);
    out.write(`wrote ${join(dir, `${f.namespace}.yaml`)} (${f.objects.length} objects)\n`);
  }
  const untranslatable = plan.untranslatable.map((u) => `- ${u.ref}: ${u.reason}`).join('\n');
  writeFileSync(join(dir, 'PLAN.md'), `# ${plan.from} → ${plan.to}${plan.revision ? ` (revision ${plan.revision})` : ''}\n\n## Steps\n\n${plan.steps.map((s, i) => `${i + 1}. \`${s}\``).join('\n')}\n\n## Not translated\n\n${untranslatable || 'nothing'}\n`);
  out.write(`wrote ${join(dir, 'PLAN.md')} (${plan.steps.length} steps, ${plan.untranslatable.length} items not translated)\n`);
  for (const u of plan.untranslatable) out.write(`  not translated: ${u.ref}: ${u.reason}\n`);
}

function printChanges(changes: BehaviourChange[], out: Out): void {
  for (const ns of [...new Set(changes.map((c) => c.namespace))].sort()) {
    const mine = changes.filter((c) => c.namespace === ns);
    const count = (k: BehaviourChange['kind']): number => mine.filter((c) => c.kind === k).length;
    out.write(`namespace ${ns}: ${count('same')} same, ${count('changed')} changed, ${count('new')} new, ${count('missing')} missing\n`);
    for (const c of mine.filter((x) => x.kind !== 'same')) {
      out.write(`  ${c.kind.toUpperCase()} ${c.what}: ${c.before ? `before ${c.before}` : ''}${c.before && c.after ? ', ' : ''}${c.after ? `after ${c.after}` : ''}\n`);
    }
  }
}

/** A read-only readiness context for the target mesh, as `check` builds it on an AKS cluster. */
function targetContext(client: KubeClient, inv: MigrateInvocation): ReadinessContext {
  const target = meshFactory(meshNamed(inv.to, 'target'));
  return {
    client, target: 'aks', budgetMs: timeouts.apply, serverVersion: '', ingress: undefined,
    mesh: target.create({ ...target.defaults('aks'), revision: inv.revision, target: 'aks' }),
    metrics: { prometheusUrl: undefined, prometheusToken: undefined, prometheusTokenFile: undefined, prometheusCaFile: undefined, prometheusAuth: 'bearer', cluster: undefined, logAnalytics: undefined, timeoutMs: 0 },
  };
}

/**
 * What the source mesh left behind (its profile's leftovers category, as `check` reports it on the target): webhooks
 * that still block admission fail the verdict; labels, annotations and CRDs are warnings. Its checkers read only.
 */
async function sourceLeftovers(client: KubeClient, inv: MigrateInvocation): Promise<ReadinessLine[]> {
  return (await runCategories([meshFactory(meshNamed(inv.from, 'source')).leftovers()], targetContext(client, inv))).flatMap((c) => c.lines);
}

/**
 * The target's onboarding, as `check` reports it: its `namespaces` checker (a namespace labelled in a way the
 * target ignores fails, such as the legacy injection label on a revisioned add-on) and the core's pods without a
 * sidecar in onboarded namespaces.
 */
async function targetOnboarding(client: KubeClient, inv: MigrateInvocation): Promise<ReadinessLine[]> {
  const ctx = targetContext(client, inv);
  const checkers = [...ctx.mesh.readiness(), ...coreCategories({ clusterChanges: [] })].flatMap((c) => c.checkers).filter((k) => k.id === 'namespaces' || k.id === 'sidecars');
  return (await runCategories([{ id: 'target-onboarding', title: `Onboarding into ${inv.to}`, checkers }], ctx)).flatMap((c) => c.lines);
}

export async function runMigrate(inv: MigrateInvocation, out: Out = process.stdout, err: Out = process.stderr): Promise<number> {
  if (inv.action === 'watch') return runWatch(inv, out, err);
  meshNamed(inv.from, 'source');
  const targetFactory = meshFactory(meshNamed(inv.to, 'target'));
  if (inv.action === 'inventory') {
    const inventory = await readInventory(inv, connect(inv));
    if (inv.output === 'json') out.write(`${JSON.stringify(inventory, null, 2)}\n`);
    else printInventory(inventory, out);
    return exitCodes.passed;
  }
  if (inv.action === 'plan') {
    if (!inv.out) throw new BadInputError('migrate plan needs --out DIR: the directory to write one manifest file per namespace into');
    const plan = targetFactory.migration?.plan;
    if (!plan) throw new BadInputError(`the ${targetFactory.title} profile cannot be a migration target: choose --to ${meshNames.filter((n) => meshFactory(n).migration?.plan).join(', ')}`);
    const faults = targetFactory.migration?.translationFaults ?? [];
    if (inv.translationFault !== undefined && !faults.some((f) => f.name === inv.translationFault)) {
      throw new BadInputError(`unknown translation fault "${inv.translationFault}": expected one of ${faults.map((f) => f.name).join(', ') || '(none)'}`);
    }
    const inventory = inv.inventory ? readJson<MeshInventory>(inv.inventory, 'MeshMigrationInventory', 'migration inventory') : await readInventory(inv, connect(inv));
    const defaults = targetFactory.defaults('aks');
    let result: MigrationPlan;
    try {
      result = plan(inventory, { revision: inv.revision, gatewayNamespace: inv.gatewayNamespace ?? '', translationFault: inv.translationFault });
    } catch (e) {
      throw new BadInputError(errorText(e));
    }
    writePlan(result, resolve(inv.out), out);
    if (defaults.namespace && inv.revision === undefined) out.write(`note: no --revision given: namespaces are labelled for an unrevisioned ${targetFactory.title} (the AKS add-on needs --revision)\n`);
    return exitCodes.passed;
  }
  const client = connect(inv);
  const progress = (line: string): void => err.write(`migrate ${inv.action}: ${line}\n`);
  const { signal, dispose } = interruptible();
  try {
    if (inv.action === 'baseline') {
      if (!inv.out) throw new BadInputError('migrate baseline needs --out FILE: where to write the behaviour matrix (JSON)');
      const inventory = await readInventory(inv, client);
      const { probes, unprobed } = probesFor(inventory);
      const ingressProbes = ingressProbesFor(inventory);
      if (probes.length === 0) throw new BadInputError(`no workloads in the ${inventory.mesh.title} namespaces to probe: onboard a namespace with a workload and a Service first`);
      const namespaces = inventory.namespaces.filter((n) => n.injection).map((n) => n.name);
      progress(`${probes.length} requests from ${new Set(probes.map((p) => `${p.source.namespace}/${p.source.serviceAccount}`)).size} identities to ${new Set(probes.map((p) => `${p.namespace}/${p.service}`)).size} Services`);
      const matrix = await reaching(client, () => probeBehaviour(client, inv.from, namespaces, probes, ingressProbes, unprobed, progress, signal));
      mkdirSync(dirname(resolve(inv.out)), { recursive: true });
      writeFileSync(resolve(inv.out), `${JSON.stringify(matrix, null, 2)}\n`);
      const count = (o: string): number => matrix.probes.filter((p) => p.result.outcome === o).length;
      const ingress = (o: string): number => (matrix.ingress ?? []).filter((p) => p.result.outcome === o).length;
      out.write(`baseline on ${inv.from}: ${count('allowed')} allowed, ${count('denied')} denied, ${count('error')} errors; ${matrix.sidecars.filter((s) => s.sidecar).length}/${matrix.sidecars.length} pods with a sidecar; ingress paths: ${ingress('allowed')} allowed, ${ingress('denied')} denied, ${ingress('error')} errors; wrote ${resolve(inv.out)}\n`);
      for (const p of matrix.ingress ?? []) out.write(`  ${p.id} via ${p.result.via}: ${p.result.outcome} (${p.result.detail})\n`);
      for (const u of unprobed) out.write(`  not probed: ${u}\n`);
      return exitCodes.passed;
    }
    if (!inv.baseline) throw new BadInputError('migrate verify needs --baseline FILE: the matrix `migrate baseline --out FILE` wrote before the migration');
    const before = readJson<BehaviourMatrix>(resolve(inv.baseline), 'MeshMigrationBehaviour', 'behaviour baseline');
    const leftovers = await reaching(client, () => sourceLeftovers(client, inv));
    const json = inv.output === 'json';
    if (!json) for (const l of leftovers.filter((x) => x.status !== 'ok')) out.write(`leftover ${l.status.toUpperCase()} ${l.message}${l.hint ? ` (${l.hint})` : ''}\n`);
    const blocking = leftovers.filter((x) => x.status === 'fail');
    if (blocking.length) {
      if (json) out.write(`${JSON.stringify({ verdict: 'failed', before: before.mesh, after: inv.to, leftovers, changes: [] }, null, 2)}\n`);
      else out.write(`migrate verify: FAILED: ${blocking.length} leftovers of ${before.mesh} block the cluster; delete them, then verify again (no probe was sent)\n`);
      return exitCodes.checkFailed;
    }
    const onboarding = await reaching(client, () => targetOnboarding(client, inv));
    if (!json) for (const l of onboarding.filter((x) => x.status !== 'ok')) out.write(`onboarding ${l.status.toUpperCase()} ${l.message}${l.hint ? ` (${l.hint})` : ''}\n`);
    const misonboarded = onboarding.filter((x) => x.status === 'fail');
    const after = await reaching(client, () => probeBehaviour(client, inv.to, before.namespaces, before.probes.map(({ result: _result, ...p }) => p), (before.ingress ?? []).map(({ result: _result, ...p }) => p), before.unprobed, progress, signal));
    if (inv.out) writeFileSync(resolve(inv.out), `${JSON.stringify(after, null, 2)}\n`);
    const changes = compareBehaviour(before, after);
    const bad = changes.filter((c) => c.kind === 'changed' || c.kind === 'missing');
    const failed = bad.length > 0 || misonboarded.length > 0;
    if (json) {
      out.write(`${JSON.stringify({ verdict: failed ? 'failed' : 'passed', before: before.mesh, after: after.mesh, leftovers, onboarding, changes }, null, 2)}\n`);
      return failed ? exitCodes.checkFailed : exitCodes.passed;
    }
    printChanges(changes, out);
    const summary = bad.length ? `FAILED: ${bad.length} behaviours changed from ${before.mesh} to ${after.mesh}` : misonboarded.length ? `FAILED: ${misonboarded.length} onboarding failures on ${after.mesh}; no behaviour changed from ${before.mesh}` : `no behaviour changed from ${before.mesh} to ${after.mesh}`;
    out.write(`migrate verify: ${summary} (${changes.filter((c) => c.kind === 'same').length} same, ${changes.filter((c) => c.kind === 'new').length} new)\n`);
    return failed ? exitCodes.checkFailed : exitCodes.passed;
  } finally {
    dispose();
  }
}
