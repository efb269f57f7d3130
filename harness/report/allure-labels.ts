/**
 * The Allure labels of a conformance check, derived from its catalogue entry so specs carry no report code:
 * epic = the mesh, feature = the check, story = the behaviour it proves, severity, the level (core or extended) as a
 * tag, and the suites the report's tree groups by: the mesh, then `Core checks` or `Extended checks`, then (extended)
 * the feature, as the Gateway API conformance report keeps core and extended results apart. They travel as
 * Playwright annotations of the form `@allure.label.<name>`, which allure-playwright turns into labels when the test
 * begins (its default suites, from the file and describe titles, apply only where none is set): a check skipped
 * because its dependency failed is labelled too.
 */
import type { CheckDefinition } from '../checks/catalogue.ts';
import { levelTitles } from '../checks/catalogue.ts';

/** One Allure label. */
export interface AllureLabel {
  name: 'epic' | 'feature' | 'story' | 'severity' | 'tag' | 'parentSuite' | 'suite' | 'subSuite';
  value: string;
}

/** The labels of a check under a mesh (`epic` is the mesh profile's title). */
export function checkLabels(check: CheckDefinition, epic: string): AllureLabel[] {
  return [
    { name: 'epic', value: epic },
    { name: 'feature', value: check.id },
    { name: 'story', value: check.story },
    { name: 'severity', value: check.severity },
    { name: 'tag', value: check.level },
    { name: 'parentSuite', value: epic },
    { name: 'suite', value: `${levelTitles[check.level]} checks` },
    { name: 'subSuite', value: check.feature ?? 'the guide\'s core flow' },
  ];
}

/** The labels as Playwright annotations (`{ type: '@allure.label.feature', description: 'ingress' }`). */
export function allureLabelAnnotations(check: CheckDefinition, epic: string): { type: string; description: string }[] {
  return checkLabels(check, epic).map((l) => ({ type: `@allure.label.${l.name}`, description: l.value }));
}
