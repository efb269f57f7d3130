import { accessSync, constants, existsSync, lstatSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BadInputError } from './exit-codes.ts';
import { makeDirs } from '../harness/report/make-dirs.ts';

/**
 * The file that marks a folder as mesh-conformance's report folder. A run clears `html/`, `test-output/`,
 * `allure-results/` and `diagnostics/` in it and overwrites `summary.txt`, `junit.xml` and `results.json`, so it
 * only ever does that in a folder it wrote (or a new or empty one): never in a folder of the user's.
 */
export const reportDirMarker = '.mesh-conformance-reports';

/** What a run (and `npm run report`, the self-tests, the benchmark, the soak) writes at the top of a report folder. */
const toolEntries = new Set([
  reportDirMarker, 'summary.txt', 'junit.xml', 'results.json', 'html', 'test-output', 'allure-results', 'diagnostics', 'runs', 'simulator',
  'allure-report', 'allure-history.jsonl', 'selftest', 'bench', 'soak',
  'conformance-report.yaml', 'conformance-report.json', 'fleet', 'migrate', 'run.log',
  // What keeps an empty report folder in git.
  '.gitkeep', '.gitignore',
]);
/** Files a run overwrites, and folders it empties (Playwright's html and output folders, Allure results, diagnostics). */
const overwrittenFiles = ['summary.txt', 'junit.xml', 'results.json'];
const clearedFolders = ['html', 'test-output', 'allure-results', 'diagnostics'];
const writtenFolders = ['runs', 'simulator'];

/** A file-system error in words, for one-line messages. */
export const fsProblem = (err: unknown): string => {
  const code = (err as { code?: string }).code;
  return code === 'ENOTDIR' || code === 'EEXIST' ? 'a part of the path is a file'
    : code === 'EACCES' || code === 'EPERM' ? 'permission denied'
      : code === 'EROFS' ? 'read-only file system'
        : code === 'ENOENT' ? 'a folder cannot be created there'
          : code ?? (err instanceof Error ? err.message : String(err));
};

export { makeDirs } from '../harness/report/make-dirs.ts';

/** Every directory under `dir` (itself included), up to `limit`, for a permission check. */
function directoriesUnder(dir: string, limit = 2_000): string[] {
  const out = [dir];
  for (let i = 0; i < out.length && out.length < limit; i += 1) {
    let entries;
    try {
      entries = readdirSync(out[i] ?? '', { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) if (e.isDirectory() && !e.isSymbolicLink()) out.push(join(out[i] ?? '', e.name));
  }
  return out;
}

function fail(dir: string, problem: string): never {
  throw new BadInputError(`cannot write reports to ${dir} (${problem}): pass --report-dir DIR, or set MESH_CONFORMANCE_REPORT_DIR, to a directory you can write`);
}

/**
 * Makes sure reports can be written before anything starts (a run that cannot write its report is useless, and
 * would fail late with a stack trace): creates the directory, refuses a folder that holds files the tool did not
 * write, and checks that what the run overwrites and clears can be (a `summary.txt` that is a folder, an earlier
 * run's files owned by another user). Bad input if not. Marks the folder as the tool's.
 */
export function ensureWritableReportDir(dir: string): void {
  try {
    makeDirs(dir);
  } catch (err) {
    fail(dir, fsProblem(err));
  }
  let entries: string[];
  try {
    if (!statSync(dir).isDirectory()) fail(dir, 'it is a file');
    entries = readdirSync(dir);
  } catch (err) {
    if (err instanceof BadInputError) throw err;
    fail(dir, fsProblem(err));
  }
  if (!entries.includes(reportDirMarker)) {
    const foreign = entries.filter((e) => !toolEntries.has(e) && !e.startsWith('.write-probe-'));
    if (foreign.length) {
      throw new BadInputError(`report folder ${dir} holds files mesh-conformance did not write (${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? `, and ${foreign.length - 3} more` : ''}); a run empties html/, test-output/, allure-results/ and diagnostics/ and overwrites summary.txt, junit.xml and results.json in its report folder: pass --report-dir DIR to a new or empty folder, or to one an earlier run wrote`);
    }
  }
  for (const f of overwrittenFiles) {
    const p = join(dir, f);
    if (!existsSync(p)) continue;
    if (lstatSync(p).isDirectory()) fail(dir, `${f} is a folder, where the run writes a file: remove it`);
    try {
      accessSync(p, constants.W_OK);
    } catch (err) {
      fail(dir, `${f} cannot be overwritten: ${fsProblem(err)}, owner uid ${statSync(p).uid}`);
    }
  }
  for (const f of [...clearedFolders, ...writtenFolders]) {
    const p = join(dir, f);
    if (!existsSync(p)) continue;
    if (!lstatSync(p).isDirectory()) fail(dir, `${f} is a file, where the run writes a folder: remove it`);
    // Clearing a folder needs write access to it and to every folder in it (the run's own, from earlier runs).
    for (const d of clearedFolders.includes(f) ? directoriesUnder(p) : [p]) {
      try {
        accessSync(d, constants.W_OK | constants.X_OK);
      } catch (err) {
        fail(dir, `${d.slice(dir.length + 1)} cannot be cleared: ${fsProblem(err)}, owner uid ${statSync(d).uid} (an earlier run as another user?)`);
      }
    }
  }
  const probe = join(dir, `.write-probe-${process.pid}`);
  try {
    writeFileSync(probe, '');
    rmSync(probe, { force: true });
    writeFileSync(join(dir, reportDirMarker), 'This folder holds mesh-conformance reports; a run empties html/, test-output/, allure-results/ and diagnostics/ in it.\n');
  } catch (err) {
    fail(dir, fsProblem(err));
  }
}
