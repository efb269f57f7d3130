/**
 * The Allure labels of a conformance check, derived from its catalogue entry so specs carry no report code:
 * epic = the mesh, feature = the check, story = the behaviour it proves, severity, and the level (core or extended)
 * as a tag. They travel as Playwright annotations of the form `@allure.label.<name>`, which allure-playwright turns
 * into labels when the test begins: a check skipped because its dependency failed is labelled too.
 */
import type { CheckDefinition } from '../checks/catalogue.ts';

/** One Allure label. */
export interface AllureLabel {
  name: 'epic' | 'feature' | 'story' | 'severity' | 'tag';
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
  ];
}

/** The labels as Playwright annotations (`{ type: '@allure.label.feature', description: 'ingress' }`). */
export function allureLabelAnnotations(check: CheckDefinition, epic: string): { type: string; description: string }[] {
  return checkLabels(check, epic).map((l) => ({ type: `@allure.label.${l.name}`, description: l.value }));
}
