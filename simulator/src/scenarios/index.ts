/** The scenarios `--scenario` can start (scenario.ts). Adding one: its module and one line here. */
import { osmMigrationDemo } from './osm-migration-demo.ts';
import type { Scenario } from './scenario.ts';

export const scenarios = [osmMigrationDemo] as const satisfies readonly Scenario[];
export type ScenarioName = (typeof scenarios)[number]['name'];
export const scenarioNames = scenarios.map((s) => s.name);

export function isScenarioName(name: string): name is ScenarioName {
  return scenarios.some((s) => s.name === name);
}

export function scenarioNamed(name: ScenarioName): Scenario {
  const found = scenarios.find((s) => s.name === name);
  if (!found) throw new Error(`unknown scenario ${name}`);
  return found;
}

export type { Scenario } from './scenario.ts';
export { withScenario } from './scenario.ts';
