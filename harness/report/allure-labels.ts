/**
 * The Allure labels of a conformance check, in one place so specs stay free of report plumbing: epic = the mesh,
 * feature = the check's area (namespace, httpbin, ingress, metrics), story = the behaviour it proves, severity.
 * They travel as Playwright annotations of the form `@allure.label.<name>`, which allure-playwright turns into
 * labels when the test begins: a check skipped because its dependency failed is labelled too. Tags come from the
 * checks' Playwright tags (`@core`, `@ingress`, ...), which allure-playwright already records.
 */

/** Allure's severities, most severe first. */
export const severities = ['blocker', 'critical', 'normal', 'minor', 'trivial'] as const;
export type Severity = (typeof severities)[number];

/** What the report says about one check; unknown checks fall back to their id and `normal`. */
export interface CheckReportInfo {
  story: string;
  severity: Severity;
}

/**
 * Story and severity per check id. `blocker`: every later check builds on it; `critical`: the mesh does not carry
 * traffic as the guide promises; `normal`: observability.
 */
export const checkReportInfo: Record<string, CheckReportInfo> = {
  namespace: { story: 'a namespace is onboarded into the mesh with metrics enabled', severity: 'blocker' },
  httpbin: { story: 'a workload gets the sidecar injected and runs 2/2 Ready', severity: 'critical' },
  ingress: { story: 'the ingress reaches the meshed app once the ingress policy admits it', severity: 'critical' },
  metrics: { story: 'the sidecar\'s metrics are scraped', severity: 'normal' },
};

/** How the mesh is named as the report's epic. */
const meshTitles: Record<string, string> = { osm: 'Open Service Mesh (OSM)', istio: 'Istio' };

/** The epic of a mesh profile name: `osm` → `Open Service Mesh (OSM)`. */
export function meshEpic(mesh: string): string {
  return meshTitles[mesh] ?? mesh;
}

/** One Allure label. */
export interface AllureLabel {
  name: 'epic' | 'feature' | 'story' | 'severity';
  value: string;
}

/** The labels of a check: epic (mesh), feature (check id), story, severity. */
export function checkLabels(checkId: string, mesh: string): AllureLabel[] {
  const info = checkReportInfo[checkId];
  return [
    { name: 'epic', value: meshEpic(mesh) },
    { name: 'feature', value: checkId },
    { name: 'story', value: info?.story ?? checkId },
    { name: 'severity', value: info?.severity ?? 'normal' },
  ];
}

/**
 * The labels as Playwright annotations (`{ type: '@allure.label.feature', description: 'ingress' }`), for a
 * check's `TestDetails`. Use in the check catalogue, not in specs.
 */
export function allureLabelAnnotations(checkId: string, mesh: string): { type: string; description: string }[] {
  return checkLabels(checkId, mesh).map((l) => ({ type: `@allure.label.${l.name}`, description: l.value }));
}
