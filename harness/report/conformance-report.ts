/**
 * The ConformanceReport: one machine-readable document per run, modelled on the Gateway API conformance suite's
 * report (apiVersion/kind, date, the implementation and its version, the profile, core and extended results with
 * statistics and the reason for each skip, the features), written as `reports/conformance-report.yaml` and `.json`.
 * The zod schema below is the source of truth: the writer validates every report against it, and
 * `docs/conformance-report.schema.json` is generated from it (`node --import tsx scripts/render-report-schema.ts`;
 * a unit test fails when that file is stale). Documented in docs/conformance-report.md.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { makeDirs } from './make-dirs.ts';
import { dirname } from 'node:path';
import { stringify } from 'yaml';
import { z } from 'zod';
import type { CheckDefinition } from '../checks/catalogue.ts';

export const reportApiVersion = 'mesh-conformance.io/v1alpha1';
export const reportKind = 'ConformanceReport';

/** How the run reached its cluster: the simulated one, a kubeconfig of a kind or AKS cluster, or a pod's service account. */
export const reportModes = ['local', 'kind', 'aks', 'in-cluster'] as const;
export type ReportMode = (typeof reportModes)[number];

const nullableText = (description: string) => z.string().nullable().describe(`${description}; null when unknown`);

const testResult = z.object({
  name: z.string().describe('the check id (with `#N` for the N-th copy under --namespaces)'),
  title: z.string().describe('what passing proves'),
  result: z.enum(['passed', 'failed', 'skipped']),
  durationSeconds: z.number().nonnegative().nullable().describe('null for a check that did not run'),
  message: z.string().optional().describe('a failed check: the first line of its failure'),
  reason: z.string().optional().describe('a skipped check: why (the check it depends on, an unsupported feature, not selected)'),
  feature: z.string().optional().describe('an extended check: the feature it exercises'),
}).strict();

const statistics = z.object({
  passed: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  skipped: z.number().int().nonnegative(),
}).strict();

const levelResult = z.object({
  result: z.enum(['success', 'partial', 'failure', 'empty']).describe('failure: a check failed; partial: none failed, some skipped; success: all passed; empty: no check of this level'),
  statistics,
  tests: z.array(testResult),
}).strict();

export const conformanceReportSchema = z.object({
  apiVersion: z.literal(reportApiVersion),
  kind: z.literal(reportKind),
  date: z.iso.datetime({ offset: true }).describe('when the run ended (RFC 3339)'),
  mode: z.enum(reportModes).describe('how the run reached the cluster'),
  tool: z.object({
    name: z.literal('mesh-conformance'),
    version: z.string(),
  }).strict(),
  run: z.object({
    id: z.string().describe('the run id (label mesh-conformance.io/run-id on everything the run created)'),
    result: z.enum(['passed', 'failed', 'interrupted', 'timedout', 'error']).describe('the test runner\'s verdict; error: the checks could not run (see reason)'),
    reason: z.string().optional().describe('result error: why the checks could not run (unreachable API server, credentials, RBAC, pre-flight), one line'),
    durationSeconds: z.number().nonnegative(),
  }).strict(),
  implementation: z.object({
    mesh: z.string().describe('the mesh profile (osm, istio)'),
    title: z.string(),
    version: nullableText('the control plane\'s version as the cluster reports it'),
    namespace: z.string().describe('where its control plane runs'),
    revision: z.string().optional(),
    supportEnds: z.iso.date().optional().describe('the last day of support of this offering, where known (the mesh profile\'s registration)'),
    supportNote: z.string().optional(),
  }).strict(),
  cluster: z.object({
    context: nullableText('the kubeconfig context (in-cluster: in-cluster)'),
    server: nullableText('the API server URL'),
    serverVersion: nullableText('GET /version gitVersion'),
    provider: nullableText('aks, kind, eks, gke, … from the nodes\' providerID or the server name'),
    flavor: z.enum(['kind', 'aks']).describe('the cluster shape whose profile defaults the run used'),
  }).strict(),
  profile: z.object({
    name: z.string().describe('<mesh>/<ingress>'),
    mesh: z.string(),
    ingress: z.string().describe('the ingress profile (none: the ingress checks are skipped)'),
    target: z.enum(['local', 'kind', 'aks']),
  }).strict(),
  core: levelResult.describe('checks every mesh and ingress profile must pass'),
  extended: levelResult.describe('checks run only where a profile supports their feature'),
  features: z.object({
    supported: z.array(z.string()).describe('the features the mesh and ingress profiles declare'),
    tested: z.array(z.string()).describe('features of extended checks that ran'),
    untested: z.array(z.string()).describe('features of extended checks that were skipped'),
  }).strict(),
}).strict().describe('mesh-conformance ConformanceReport: the outcome of one conformance run against one cluster');

export type ConformanceReport = z.infer<typeof conformanceReportSchema>;
export type TestOutcome = z.infer<typeof testResult>;

/** The JSON Schema of the report (draft 2020-12), as published in docs/conformance-report.schema.json. */
export function reportJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(conformanceReportSchema, { target: 'draft-2020-12' }),
    $id: 'https://mesh-conformance.io/schemas/conformance-report-v1alpha1.json',
    title: 'ConformanceReport (mesh-conformance.io/v1alpha1)',
  };
}

/** One check's outcome, as the reporter saw it. */
export interface CheckOutcome {
  check: CheckDefinition;
  /** The N-th copy under --namespaces (0 for the first). */
  copy: number;
  result: 'passed' | 'failed' | 'skipped';
  durationMs: number | undefined;
  message: string | undefined;
  reason: string | undefined;
}

/** Statistics and the verdict of one level. */
export function levelOf(outcomes: CheckOutcome[]): ConformanceReport['core'] {
  const tests = outcomes.map((o): TestOutcome => ({
    name: o.copy ? `${o.check.id}#${o.copy + 1}` : o.check.id,
    title: o.check.title,
    result: o.result,
    durationSeconds: o.durationMs === undefined ? null : Math.round(o.durationMs / 100) / 10,
    ...(o.result === 'failed' ? { message: o.message ?? 'failed' } : {}),
    ...(o.result === 'skipped' ? { reason: o.reason ?? 'not run' } : {}),
    ...(o.check.feature !== undefined ? { feature: o.check.feature } : {}),
  }));
  const count = (r: TestOutcome['result']): number => tests.filter((t) => t.result === r).length;
  const stats = { passed: count('passed'), failed: count('failed'), skipped: count('skipped') };
  const result = !tests.length ? 'empty' : stats.failed ? 'failure' : stats.skipped ? 'partial' : 'success';
  return { result, statistics: stats, tests };
}

/**
 * The report of a run whose checks never ran (pre-flight, an unreachable cluster, a crash before the runner): what the
 * configuration says, `run.result: error` with the reason, no test results, and what the cluster could not tell as null.
 */
export function couldNotRunReport(o: {
  runId: string; mode: ReportMode; reason: string; durationSeconds: number; toolVersion: string;
  mesh: { name: string; title: string; namespace: string; revision: string | undefined; support: { ends: string; note: string } | undefined };
  cluster: { context: string | undefined; flavor: 'kind' | 'aks' }; profile: { mesh: string; ingress: string; target: 'local' | 'kind' | 'aks' }; supported: string[];
}, date = new Date()): ConformanceReport {
  return {
    apiVersion: reportApiVersion, kind: reportKind, date: date.toISOString(), mode: o.mode,
    tool: { name: 'mesh-conformance', version: o.toolVersion },
    run: { id: o.runId, result: 'error', reason: o.reason, durationSeconds: o.durationSeconds },
    implementation: {
      mesh: o.mesh.name, title: o.mesh.title, version: null, namespace: o.mesh.namespace,
      ...(o.mesh.revision ? { revision: o.mesh.revision } : {}),
      ...(o.mesh.support ? { supportEnds: o.mesh.support.ends, supportNote: o.mesh.support.note } : {}),
    },
    cluster: { context: o.cluster.context ?? null, server: null, serverVersion: null, provider: null, flavor: o.cluster.flavor },
    profile: { name: `${o.profile.mesh}/${o.profile.ingress}`, ...o.profile },
    core: levelOf([]),
    extended: levelOf([]),
    features: { supported: [...o.supported].sort(), tested: [], untested: [] },
  };
}

/** Validates a report against the schema (throws with the first problem): nothing invalid is ever written. */
export function validReport(report: unknown): ConformanceReport {
  const parsed = conformanceReportSchema.safeParse(report);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`invalid ConformanceReport: ${issue ? `${issue.path.join('.')}: ${issue.message}` : parsed.error.message}`);
  }
  return parsed.data;
}

/** Writes the report as YAML and JSON (after validating it). */
export function writeConformanceReport(files: { yaml: string; json: string }, report: ConformanceReport): void {
  const valid = validReport(report);
  makeDirs(dirname(files.yaml)); // not mkdirSync's recursive form: it never returns below /proc
  writeFileSync(files.yaml, `# mesh-conformance ConformanceReport (docs/conformance-report.md; schema: docs/conformance-report.schema.json)\n${stringify(valid, { lineWidth: 0 })}`);
  writeFileSync(files.json, `${JSON.stringify(valid, null, 2)}\n`);
}

/** Reads a report written by a run (its JSON form), validated; undefined when there is none or it is not valid. */
export function readConformanceReport(file: string): ConformanceReport | undefined {
  try {
    return conformanceReportSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    return undefined;
  }
}
