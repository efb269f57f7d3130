#!/usr/bin/env zx
// `npm run report`: builds the Allure 3 report (the pure-JS `allure` package, no Java) of the last run from
// <report-dir>/allure-results into one HTML file that opens from disk, and appends the run to the history file
// so the report shows trends. Settings: allurerc.mjs. Exit 0 when the report was built, 2 when there is nothing
// to build from (run `mesh-conformance run` first) or an option is wrong, 1 when Allure failed.
//
//   npm run report [-- --report-dir DIR] [--history FILE] [--output DIR]
//   MESH_CONFORMANCE_ALLURE_HISTORY=/cache/allure-history.jsonl npm run report   # CI: persist this file
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { $, argv } from 'zx';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/**
 * @param {number} code the exit code
 * @param {string} message
 * @returns {never}
 */
const fail = (code, message) => {
  process.stderr.write(`report: ${message}\n`);
  process.exit(code);
};

const known = new Set(['_', 'report-dir', 'history', 'output', 'help']);
const unknown = Object.keys(argv).filter((k) => !known.has(k));
if (unknown.length || argv._.length) fail(2, `unknown argument ${unknown.length ? `--${unknown[0]}` : argv._[0]}; usage: npm run report -- [--report-dir DIR] [--history FILE] [--output DIR]`);
if (argv.help) {
  process.stdout.write('usage: npm run report -- [--report-dir DIR] [--history FILE] [--output DIR]\n');
  process.exit(0);
}
for (const k of ['report-dir', 'history', 'output']) {
  if (k in argv && (typeof argv[k] !== 'string' || argv[k] === '')) fail(2, `--${k} needs a value`);
}

const reportDir = resolve(argv['report-dir'] ?? process.env.MESH_CONFORMANCE_REPORT_DIR ?? join(root, 'reports'));
const results = join(reportDir, 'allure-results');
const output = resolve(argv.output ?? process.env.MESH_CONFORMANCE_ALLURE_REPORT ?? join(reportDir, 'allure-report'));
const history = resolve(argv.history ?? process.env.MESH_CONFORMANCE_ALLURE_HISTORY ?? join(reportDir, 'allure-history.jsonl'));

if (!existsSync(results) || !readdirSync(results).some((f) => f.endsWith('-result.json'))) {
  fail(2, `no Allure results in ${results}: run \`mesh-conformance run\` first (or pass --report-dir DIR of a run)`);
}

/**
 * `mkdir -p`, one level at a time (Node's recursive mkdir never returns below /proc).
 * @param {string} dir
 */
function makeDirs(dir) {
  const missing = [];
  let p = dir;
  while (!existsSync(p) && dirname(p) !== p) {
    missing.unshift(p);
    p = dirname(p);
  }
  for (const m of missing) mkdirSync(m);
}
/** @type {Record<string, string>} */
const fsProblems = { ENOTDIR: 'a part of the path is a file', EEXIST: 'a part of the path is a file', EACCES: 'permission denied', EPERM: 'permission denied', EROFS: 'read-only file system', ENOENT: 'a folder cannot be created there' };
/** @param {unknown} err */
const fsProblem = (err) => {
  const code = /** @type {{ code?: string } | undefined} */ (err)?.code;
  return (code ? fsProblems[code] : undefined) ?? code ?? String(err);
};

if (existsSync(output) && !statSync(output).isDirectory()) fail(2, `--output ${output} is a file: pass --output DIR, the folder the report goes to`);
if (existsSync(history) && statSync(history).isDirectory()) fail(2, `--history ${history} is a folder: pass --history FILE, the history file (JSON lines)`);
for (const [what, dir] of /** @type {[string, string][]} */ ([['--output', output], ['--history', dirname(history)]])) {
  try {
    makeDirs(dir);
  } catch (err) {
    fail(2, `cannot create ${dir} for ${what} (${fsProblem(err)}): pass ${what} in a folder you can write`);
  }
}
// A history file cut short (a full disk, a killed job, a partial CI cache) must not break every later build:
// its unreadable lines are dropped, with a warning, and the rest of the trend kept.
if (existsSync(history)) {
  const lines = readFileSync(history, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const good = lines.filter((l) => {
    try {
      const v = JSON.parse(l);
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    } catch {
      return false;
    }
  });
  if (good.length !== lines.length) {
    process.stderr.write(`report: warning: skipped ${lines.length - good.length} unreadable line(s) of the history ${history} (cut short?); ${good.length} earlier build(s) kept\n`);
    writeFileSync(history, good.length ? `${good.join('\n')}\n` : '');
  }
}

const allureCli = join(root, 'node_modules', 'allure', 'cli.js');
if (!existsSync(allureCli)) fail(2, 'the `allure` package is not installed: run `npm ci`');

$.verbose = false;
const env = {
  ...process.env,
  MESH_CONFORMANCE_REPORT_DIR: reportDir,
  MESH_CONFORMANCE_ALLURE_REPORT: output,
  MESH_CONFORMANCE_ALLURE_HISTORY: history,
};
const started = Date.now();
const done = await $({ env, cwd: root, nothrow: true })`${process.execPath} ${allureCli} generate ${results} --config ${join(root, 'allurerc.mjs')} --output ${output}`;
if (done.exitCode !== 0) {
  // eslint-disable-next-line no-control-regex
  const last = `${done.stderr}\n${done.stdout}`.replace(/\u001b\[[0-9;]*m/g, '').split('\n').map((l) => l.trim()).filter(Boolean).at(-1) ?? `exit code ${done.exitCode}`;
  fail(1, `allure generate failed: ${last}`);
}
const index = join(output, 'index.html');
if (!existsSync(index)) fail(1, `allure generate finished but wrote no ${index}`);
// The Awesome template always embeds a Google Analytics tag; a report of a cluster should make no outside
// requests when opened, so take it out (both scripts). A future template without it is left as it is.
const html = readFileSync(index, 'utf8');
const withoutAnalytics = html
  .replace(/<script async src="https:\/\/www\.googletagmanager\.com\/gtag\/js[^"]*"><\/script>\s*<script>[^<]*gtag\('config'[^<]*<\/script>/, '');
if (withoutAnalytics !== html) writeFileSync(index, withoutAnalytics);
const runs = existsSync(history) ? readFileSync(history, 'utf8').split('\n').filter(Boolean).length : 0;
process.stdout.write(`report: ${index} (${Math.round(statSync(index).size / 1024)} KiB, single file; open it from disk) built in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
process.stdout.write(`report: history ${history} (${runs} run${runs === 1 ? '' : 's'}; set MESH_CONFORMANCE_ALLURE_HISTORY to keep it elsewhere)\n`);
