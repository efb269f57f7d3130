import { spawnSync } from 'node:child_process';
import type { SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkCatalogue } from '../harness/checks/catalogue.ts';
import type { ConformanceConfig } from '../harness/config/resolve-config.ts';
import { runConfigEnv, writeRunConfig } from '../harness/config/run-config.ts';
import { BadInputError, exitCodes } from './exit-codes.ts';
import { packageRoot, playwrightCli } from './paths.ts';
import type { RunInvocation } from './program.ts';
import { loadRunConfigFile, resolveRunConfig } from './run-command.ts';
import { firstLine } from '../harness/text.ts';

/** One check as `run --list` shows it. */
export interface ListedCheck {
  id: string;
  description: string;
  tags: string[];
  dependsOn: string | undefined;
  project: string;
}

interface JsonSpec { title: string; tags: string[]; tests: { projectName: string; annotations: { type: string; description?: string }[] }[] }
interface JsonSuite { specs?: JsonSpec[]; suites?: JsonSuite[] }
interface JsonListing { suites?: JsonSuite[]; errors?: { message?: string }[] }

/** Reads the checks out of `playwright test --list --reporter=json` output (titles are `<id>: <description>`). */
export function checksFromListing(json: JsonListing): ListedCheck[] {
  const walk = (s: JsonSuite): JsonSpec[] => [...(s.specs ?? []), ...(s.suites ?? []).flatMap(walk)];
  return (json.suites ?? []).flatMap(walk).flatMap((spec) => spec.tests.map((t) => {
    const id = t.annotations.find((a) => a.type === 'check')?.description ?? spec.title;
    const prefix = `${id}: `;
    return {
      id,
      description: spec.title.startsWith(prefix) ? spec.title.slice(prefix.length) : spec.title,
      tags: spec.tags.map((tag) => (tag.startsWith('@') ? tag : `@${tag}`)),
      dependsOn: t.annotations.find((a) => a.type === 'depends-on')?.description,
      project: t.projectName,
    };
  }));
}

/** The listing as printed: one line per check (id, what it proves, what it runs after, its tags), then a count. */
export function formatChecks(checks: ListedCheck[], project: string): string {
  const width = Math.max(...checks.map((c) => c.id.length));
  const lines = checks.map((c) => `  ${c.id.padEnd(width)}  ${c.description}${c.dependsOn ? ` (after ${c.dependsOn})` : ''}  ${c.tags.join(' ')}`);
  return `mesh-conformance: ${checks.length} check${checks.length === 1 ? '' : 's'} for target ${project}, in the order they run (nothing was run):\n${lines.join('\n')}\n`;
}

/**
 * `mesh-conformance run --list`: asks Playwright for the selected tests (`--list`, filters such as --grep apply,
 * no cluster is touched and no simulator is started) and prints them as our checks. A filter that selects
 * nothing, or a spec that does not load, is bad input (exit 2).
 */
export async function listChecks(inv: RunInvocation): Promise<number> {
  const cwd = process.cwd();
  const config = resolveRunConfig(inv, process.env, cwd, await loadRunConfigFile(inv.configFile, process.env, cwd));
  process.stdout.write(formatChecks(selectedChecks(inv, config), config.target));
  return exitCodes.passed;
}

/**
 * The checks Playwright would run with the pass-through arguments (`--list`, nothing run, no cluster touched).
 * A mistyped option, a bad value, a spec that does not load or a filter that selects nothing is bad input: `run`
 * asks before it starts anything, so a typo never surfaces after pre-flight or after the simulator started.
 */
export function selectedChecks(inv: RunInvocation, config: ConformanceConfig): ListedCheck[] {
  const args = [playwrightCli(), 'test', '--config', join(packageRoot, 'playwright.config.ts'), `--project=${config.target}`, ...inv.playwrightArgs, '--list', '--reporter=json'];
  // Listing runs nothing, so its run configuration lives in a temporary folder, removed at once.
  const scratch = mkdtempSync(join(tmpdir(), 'mesh-conformance-list-'));
  let r: SpawnSyncReturns<string>;
  try {
    const file = writeRunConfig({ ...config, reportDir: scratch });
    r = spawnSync(process.execPath, args, { cwd: packageRoot, env: { ...process.env, [runConfigEnv]: file }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  let json: JsonListing;
  try {
    json = JSON.parse(r.stdout) as JsonListing;
  } catch {
    const lines = `${r.stderr}\n${r.stdout}`.split('\n').map((l) => l.trim()).filter(Boolean);
    // commander's own words: `error: unknown option '--grp'` and, on the next line, `(Did you mean --grep?)`.
    const error = lines.find((l) => l.startsWith('error: '))?.replace(/^error: /, '');
    const hint = lines.find((l) => /^\(Did you mean/.test(l));
    const what = error ? `${error}${hint ? ` ${hint}` : ''}` : lines.at(-1) ?? `exit code ${r.status}`;
    throw new BadInputError(`Playwright refused the arguments passed to it (${inv.playwrightArgs.join(' ')}): ${what}; check \`npx playwright test --help\` for its options`);
  }
  const error = json.errors?.find((e) => e.message)?.message;
  const checks = checksFromListing(json);
  if (error && !/No tests found/.test(error)) throw new BadInputError(`cannot list the checks: ${firstLine(error)}`);
  if (!checks.length) throw new BadInputError(`no check matches ${inv.playwrightArgs.join(' ') || 'the selection'}; \`mesh-conformance run --list\` shows them all (tags: @core, @extended, ${checkCatalogue.map((c) => c.tag).join(', ')})`);
  return checks;
}
