/**
 * Core and extended results apart, the way the Gateway API conformance suite reports them (its ConformanceReport:
 * per profile, a core result with statistics, and an extended result with statistics and the supported and
 * unsupported features). The summary reporter prints it and writes it as `conformance-report.json`.
 */
import type { CheckLevel } from './catalogue.ts';
import { checkLevels, levelTitles } from './catalogue.ts';

/** One check of a finished run, as the report needs it. */
export interface CheckOutcome {
  id: string;
  level: CheckLevel;
  feature: string | undefined;
  status: 'passed' | 'failed' | 'timedOut' | 'interrupted' | 'skipped';
  /** Why it was skipped, or the first line of its failure. */
  reason: string | undefined;
  /** Skipped because the profiles or the cluster lack its feature (not because a check it needs failed). */
  unsupported: boolean;
}

export interface LevelStatistics {
  passed: number;
  failed: number;
  /** Selected but not run: a check it depends on failed, or the run was interrupted. */
  skipped: number;
}

/** `success`: every check of the level passed; `failure`: one failed; `partial`: none failed, some did not run. */
export type LevelResult = 'success' | 'failure' | 'partial' | 'none';

export interface LevelReport {
  result: LevelResult;
  statistics: LevelStatistics;
}

export interface ExtendedReport extends LevelReport {
  /** Features whose checks ran here (passed or failed). */
  supportedFeatures: string[];
  /** Features whose checks were skipped because the profiles or the cluster lack them, with the reason. */
  unsupportedFeatures: { feature: string; reason: string }[];
}

export interface ConformanceReport {
  kind: 'MeshConformanceReport';
  version: 1;
  core: LevelReport;
  extended: ExtendedReport;
  checks: CheckOutcome[];
}

const failedStatuses = new Set<CheckOutcome['status']>(['failed', 'timedOut', 'interrupted']);

function levelReport(outcomes: readonly CheckOutcome[]): LevelReport {
  const statistics = {
    passed: outcomes.filter((o) => o.status === 'passed').length,
    failed: outcomes.filter((o) => failedStatuses.has(o.status)).length,
    skipped: outcomes.filter((o) => o.status === 'skipped' && !o.unsupported).length,
  };
  const result: LevelResult = statistics.failed ? 'failure' : statistics.skipped ? 'partial' : statistics.passed ? 'success' : 'none';
  return { result, statistics };
}

/** The report of a run's check outcomes (several copies of a check, under --namespaces, count one each). */
export function conformanceReport(outcomes: readonly CheckOutcome[]): ConformanceReport {
  const extended = outcomes.filter((o) => o.level === 'extended');
  const unsupported = new Map<string, string>();
  for (const o of extended) if (o.unsupported && o.feature && !unsupported.has(o.feature)) unsupported.set(o.feature, o.reason ?? 'not supported');
  const supported = [...new Set(extended.filter((o) => !o.unsupported && o.status !== 'skipped' && o.feature).map((o) => o.feature as string))];
  return {
    kind: 'MeshConformanceReport',
    version: 1,
    core: levelReport(outcomes.filter((o) => o.level === 'core')),
    extended: {
      ...levelReport(extended),
      supportedFeatures: supported.sort(),
      unsupportedFeatures: [...unsupported].map(([feature, reason]) => ({ feature, reason })).sort((a, b) => a.feature.localeCompare(b.feature)),
    },
    checks: [...outcomes],
  };
}

/** One line per level: `core: 4 passed, 0 failed, 0 skipped (success)`, then the unsupported features. */
export function formatLevelLines(report: ConformanceReport): string[] {
  const lines: string[] = [];
  for (const level of checkLevels) {
    const r = report[level];
    const s = r.statistics;
    if (r.result === 'none' && !(level === 'extended' && report.extended.unsupportedFeatures.length)) continue;
    const counts = `${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped`;
    if (level === 'extended') {
      const e = report.extended;
      const supported = e.supportedFeatures.length ? `; features checked: ${e.supportedFeatures.join(', ')}` : '';
      const unsupported = e.unsupportedFeatures.length ? `; not supported here: ${e.unsupportedFeatures.map((u) => u.feature).join(', ')}` : '';
      lines.push(`${levelTitles[level].toLowerCase()}: ${counts} (${r.result === 'none' ? 'nothing to check' : r.result})${supported}${unsupported}`);
    } else {
      lines.push(`${levelTitles[level].toLowerCase()}: ${counts} (${r.result})`);
    }
  }
  return lines;
}
