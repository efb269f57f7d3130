/**
 * The conformance checks, each defined once as a value: its id, what it proves, its tag, the check it builds on,
 * how the report ranks it, and whether it is a core check (every mesh and ingress profile must pass it) or an
 * extended one (run only where the profiles support its feature, like the Gateway API conformance suite's
 * core/extended split). Specs, the dependency gate, Allure labels, the summary, `run --list` and the fault
 * expectations all read this catalogue; nothing here names a mesh.
 */

/** Allure's severities, most severe first. */
export const severities = ['blocker', 'critical', 'normal', 'minor', 'trivial'] as const;
export type Severity = (typeof severities)[number];

/** Core checks run everywhere; extended ones only where the profiles support their feature. */
export const checkLevels = ['core', 'extended'] as const;
export type CheckLevel = (typeof checkLevels)[number];
/** How reports head each level (the summary, the Allure suites, `run --list`). */
export const levelTitles: Record<CheckLevel, string> = { core: 'Core', extended: 'Extended' };

/** One conformance check as data (e2e-framework's feature value, minus the steps, which live in tests/). */
export interface CheckDefinition {
  /** Short id: the summary's name, the Allure feature, the key of fault expectations. */
  readonly id: string;
  /** What passing proves, in mesh-neutral words (the test title is `<id>: <title>`). */
  readonly title: string;
  /** Its own tag; a check also carries the tags of the checks built on it (see `checkTags`). */
  readonly tag: `@${string}`;
  /** The check whose success it needs (it is skipped, with the reason, when that one did not pass). */
  readonly dependsOn: string | undefined;
  readonly severity: Severity;
  /** The behaviour it proves, as the report's story. */
  readonly story: string;
  readonly level: CheckLevel;
  /**
   * Extended checks (required there, absent on core ones): the feature they exercise, named like the Gateway API
   * conformance suite's supported features. A mesh or ingress profile lists what it supports in `features` and may
   * probe the cluster for it (harness/checks/features.ts); elsewhere the check is skipped with the reason.
   */
  readonly feature?: string;
  /**
   * It changes what the other checks use (Flagger takes over the httpbin Service and scales httpbin to 0), so it runs
   * after every other check, whatever the catalogue order; no check may depend on it.
   */
  readonly runsLast?: boolean;
}

/** Every check, in catalogue order; `orderedChecks()` gives the order they run in. */
export const checkCatalogue = [
  {
    id: 'namespace', tag: '@namespace', dependsOn: undefined, level: 'core', severity: 'blocker',
    title: 'a fresh namespace is onboarded into the mesh with metrics enabled',
    story: 'a namespace is onboarded into the mesh with metrics enabled',
  },
  {
    id: 'httpbin', tag: '@sidecar', dependsOn: 'namespace', level: 'core', severity: 'critical',
    title: 'the sample runs with every container Ready and the mesh sidecar injected',
    story: 'a workload gets the sidecar injected and runs 2/2 Ready',
  },
  {
    id: 'ingress', tag: '@ingress', dependsOn: 'httpbin', level: 'core', severity: 'critical',
    title: 'GET /get through the ingress returns 200 via the sidecar once the ingress policy is accepted',
    story: 'the ingress reaches the meshed app only once the mesh\'s ingress policy admits it',
  },
  {
    id: 'metrics', tag: '@metrics', dependsOn: 'ingress', level: 'core', severity: 'normal',
    title: 'the httpbin sidecar is scraped and the mesh\'s request metrics count the ingress traffic',
    story: 'the sidecar\'s metrics are scraped and count the suite\'s traffic',
  },
  // Extended checks of the guide's later sections (docs/guide-coverage.md). They come after the core flow, which they
  // build on (Flagger takes over the httpbin Service), so each depends on the last core check.
  {
    id: 'workload-identity', tag: '@identity', dependsOn: 'metrics', level: 'extended', feature: 'workload-identity', severity: 'normal',
    title: 'the httpbin sidecar presents a certificate from the mesh\'s CA, for its service account\'s identity, valid for the configured duration',
    story: 'the mesh\'s CA issues each sidecar the identity of its service account',
  },
  { id: 'external-authorization', tag: '@ext-authz', dependsOn: 'metrics', level: 'extended', feature: 'external-authorization', severity: 'normal', title: 'a request the external authorization policy denies gets 403 at the sidecar, one it allows gets 200 through it', story: 'the sidecar asks the external authorization service about every inbound request' },
  {
    id: 'ingress-mtls', tag: '@mtls', dependsOn: 'ingress', level: 'extended', feature: 'ingress-mtls', severity: 'normal',
    title: 'with the mesh\'s ingress certificate, the ingress reaches the sidecar over mTLS (200) while plain HTTP to it is refused',
    story: 'the mesh admits the ingress over mTLS with the certificate it issued, and refuses plain HTTP',
  },
  { id: 'dapr-invocation', tag: '@dapr', dependsOn: 'metrics', level: 'extended', feature: 'dapr', severity: 'normal', title: 'a Dapr-enabled pod runs with both sidecars ready, and Dapr service invocation of httpbin returns 200 through the mesh', story: 'Dapr runs beside the mesh sidecar and its service invocation travels through the mesh' },
  // Last of all: Flagger takes over the httpbin Service and scales httpbin to 0 (docs/flagger.md).
  {
    id: 'canary', tag: '@flagger', dependsOn: 'metrics', level: 'extended', feature: 'progressive-delivery', severity: 'normal', runsLast: true,
    title: 'Flagger initialises a Canary for httpbin: the primary Deployment is ready, the mesh\'s routing object sends it all traffic, httpbin is scaled to 0',
    story: 'Flagger takes over a workload of the mesh for progressive delivery',
  },
] as const satisfies readonly CheckDefinition[];

export type CheckId = (typeof checkCatalogue)[number]['id'];

/** The ids, for validation and messages. */
export const checkIds = checkCatalogue.map((c) => c.id) as readonly CheckId[];

export function isCheckId(id: string): id is CheckId {
  return (checkIds as readonly string[]).includes(id);
}

/** The definition of a check id. */
export function checkDefinition(id: CheckId): CheckDefinition {
  const def = checkCatalogue.find((c) => c.id === id);
  if (!def) throw new Error(`unknown check ${id}`);
  return def;
}

/**
 * The checks in the order they run: the core checks, then the extended ones, each after the one it depends on (a
 * stable topological order of the catalogue within each level), and last the checks marked `runsLast`. Throws on an unknown dependency, a cycle, a core
 * check that depends on an extended one, or an extended check without a feature: a unit test keeps them from landing.
 */
export function orderedChecks(catalogue: readonly CheckDefinition[] = checkCatalogue): CheckDefinition[] {
  const byId = new Map(catalogue.map((c) => [c.id, c]));
  for (const c of catalogue) {
    if (c.level === 'extended' && !c.feature) throw new Error(`extended check ${c.id} names no feature: set \`feature\` (the profiles list the features they support)`);
    if (c.level === 'core' && c.feature) throw new Error(`core check ${c.id} names feature ${c.feature}: a core check runs on every profile; make it extended or drop the feature`);
    if (c.level === 'core' && c.dependsOn !== undefined && byId.get(c.dependsOn)?.level === 'extended') {
      throw new Error(`core check ${c.id} depends on extended check ${c.dependsOn}: a core check cannot need a feature some profiles lack`);
    }
  }
  const done = new Set<string>();
  const out: CheckDefinition[] = [];
  const visit = (c: CheckDefinition, path: string[]): void => {
    if (done.has(c.id)) return;
    if (path.includes(c.id)) throw new Error(`the check catalogue has a dependency cycle: ${[...path, c.id].join(' → ')}`);
    if (c.dependsOn !== undefined) {
      const dep = byId.get(c.dependsOn);
      if (!dep) throw new Error(`check ${c.id} depends on ${c.dependsOn}, which is not in the catalogue`);
      visit(dep, [...path, c.id]);
    }
    done.add(c.id);
    out.push(c);
  };
  for (const level of checkLevels) for (const c of catalogue.filter((x) => x.level === level)) visit(c, []);
  for (const c of catalogue) {
    const dep = c.dependsOn === undefined ? undefined : byId.get(c.dependsOn);
    if (dep?.runsLast && !c.runsLast) throw new Error(`check ${c.id} depends on ${dep.id}, which runs last (it changes what the other checks use)`);
  }
  return [...out.filter((c) => !c.runsLast), ...out.filter((c) => c.runsLast)];
}

/**
 * The tags of a check: its level (`@core` or `@extended`), its own tag, and the tags of every check built on it, so
 * `--grep @ingress` also selects the checks the ingress check needs.
 */
export function checkTags(id: string, catalogue: readonly CheckDefinition[] = checkCatalogue): `@${string}`[] {
  const byId = new Map(catalogue.map((c) => [c.id, c]));
  const self = byId.get(id);
  if (!self) throw new Error(`unknown check ${id}`);
  const tags = new Set<`@${string}`>([`@${self.level}`, self.tag]);
  for (const other of catalogue) {
    for (let dep = other.dependsOn; dep !== undefined; dep = byId.get(dep)?.dependsOn) {
      if (dep === id) tags.add(other.tag);
    }
  }
  return [...tags];
}

/** Something that lists the features it supports: a mesh profile, an ingress profile. */
export interface FeatureSupport {
  readonly title: string;
  readonly features?: readonly string[];
}

/**
 * Why an extended check must be skipped: none of the profiles supports its feature (undefined: run it). Core checks
 * (no feature) always run. Whether the cluster has the feature too is the profiles' probe (harness/checks/features.ts).
 */
export function featureSkipReason(feature: string | undefined, profiles: readonly FeatureSupport[]): string | undefined {
  if (feature === undefined) return undefined;
  if (profiles.some((p) => p.features?.includes(feature))) return undefined;
  return `extended feature ${feature} is not supported by ${profiles.map((p) => p.title).join(' or ')}`;
}
