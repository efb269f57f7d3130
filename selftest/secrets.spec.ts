// Requirement (issue 7, issue 19 F1, secrets): no credential a user can supply appears in logs, reports, attachments,
// the Allure report or its history. Failing runs (so every diagnostic is attached) are made with recognisable
// secrets of every kind: the API bearer token and client key, a password and a token in the Prometheus URL, the
// Prometheus token, a proxy's password (the kubeconfig's proxy-url, and HTTPS_PROXY), the Azure token and client
// secret. Every file the runs and `npm run report` wrote, and everything they and check/cleanup/config printed, is
// searched for each, as is and encoded. The search itself is proven to find them where they are.
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import selfsigned from 'selfsigned';
import { parse, stringify } from 'yaml';
import { startConnectProxy } from '../harness/http/testing/connect-proxy.ts';
import type { TestProxy } from '../harness/http/testing/connect-proxy.ts';
import type { TestSim } from './reliability-support.ts';
import { packageRoot, quickBudgets, runCliToEnd, startTestSim } from './reliability-support.ts';

test.describe.configure({ mode: 'serial' });

const dir = resolve(process.env.MESH_CONFORMANCE_SELFTEST_REPORT_DIR ?? 'reports/selftest', 'secrets');
const stamp = Date.now().toString(36);
const secrets = {
  'API bearer token': `sEcReT-kube-token-${stamp}-7f3a9c`,
  'Prometheus token': `sEcReT-prom-token-${stamp}-51be`,
  'Prometheus URL password': `sEcReT-prom-pw-${stamp}-9d1`,
  'Prometheus URL query token': `sEcReT-prom-apikey-${stamp}-4e7`,
  'proxy-url password': `sEcReT-proxy-pw-${stamp}-a11`,
  'HTTPS_PROXY password': `sEcReT-env-proxy-pw-${stamp}-b22`,
  'Azure token': `sEcReT-azure-token-${stamp}-c0de`,
  'Azure client secret': `sEcReT-azure-client-secret-${stamp}`,
};

let sim: TestSim;
let aksSim: TestSim;
let proxy: TestProxy;
let prometheus: Server;
const prometheusSaw: { url: string; authorization: string }[] = [];

test.beforeAll(async () => {
  [sim, aksSim] = await Promise.all([
    startTestSim(join(dir, 'sim'), { token: secrets['API bearer token'] }),
    startTestSim(join(dir, 'sim-aks'), { flavor: 'aks' }),
  ]);
  // Every API request of the kind runs goes through a proxy that wants its credentials.
  proxy = await startConnectProxy({ credentials: `proxyuser:${secrets['proxy-url password']}` });
  // A Prometheus that answers, but knows no target: the metrics check fails, with its source in the message.
  prometheus = createServer((req, res) => {
    prometheusSaw.push({ url: req.url ?? '', authorization: req.headers.authorization ?? '' });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(req.url?.startsWith('/api/v1/status/buildinfo')
      ? { status: 'success', data: { version: '2.51.0', revision: 'r' } }
      : { status: 'success', data: { activeTargets: [] } }));
  });
  await new Promise<void>((r) => prometheus.listen(0, '127.0.0.1', r));
});
test.afterAll(async () => {
  prometheus?.close();
  await proxy?.close();
  await Promise.all([sim?.stop(), aksSim?.stop()]);
});

/** Every file under `root`, recursively. */
function filesUnder(root: string): string[] {
  return readdirSync(root, { withFileTypes: true }).flatMap((e) => {
    const p = join(root, e.name);
    return e.isDirectory() ? filesUnder(p) : e.isFile() ? [p] : [];
  });
}

/** The forms a secret could take in an artifact: as is, URL-encoded, base64 and base64url (attachments are often encoded). */
function forms(secret: string): string[] {
  const b64 = Buffer.from(secret).toString('base64').replace(/=+$/, '');
  return [secret, encodeURIComponent(secret), b64.slice(0, -2), Buffer.from(secret).toString('base64url').slice(0, -2)];
}

/** Searches texts for every secret (and extra forms), returning `<secret> in <where>` findings. */
function searcher(extra: Record<string, string[]> = {}): { search: (where: string, text: string) => void; findings: string[] } {
  const findings: string[] = [];
  return {
    findings,
    search(where, text) {
      for (const [what, secret] of Object.entries(secrets)) {
        if (forms(secret).some((f) => text.includes(f))) findings.push(`${what} in ${where}`);
      }
      for (const [what, list] of Object.entries(extra)) if (list.some((f) => text.includes(f))) findings.push(`${what} in ${where}`);
    },
  };
}

function searchFiles(root: string, search: (where: string, text: string) => void): { files: number; bytes: number } {
  const files = filesUnder(root);
  let bytes = 0;
  for (const f of files) {
    if (statSync(f).size > 50_000_000) continue;
    const text = readFileSync(f).toString('latin1');
    bytes += text.length;
    search(f, text);
  }
  return { files: files.length, bytes };
}

/** `npm run report` for a report folder (its history inside it), as CI runs it. */
function buildReport(reportDir: string): { code: number | null; output: string } {
  const zx = join(packageRoot, 'node_modules', 'zx', 'build', 'cli.js');
  const r = spawnSync(process.execPath, [zx, 'scripts/report.mjs', '--report-dir', reportDir, '--history', join(reportDir, 'allure-history.jsonl')],
    { cwd: packageRoot, env: { ...process.env, ...environment() }, encoding: 'utf8', timeout: 150_000 });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

/** The credentials a user keeps in the environment, planted for every command. */
function environment(): Record<string, string> {
  return {
    MESH_CONFORMANCE_PROMETHEUS_TOKEN: secrets['Prometheus token'],
    AZURE_CLIENT_SECRET: secrets['Azure client secret'],
    AZURE_CLIENT_ID: '00000000-0000-0000-0000-000000000000',
    AZURE_TENANT_ID: '00000000-0000-0000-0000-000000000000',
    // Loopback is never proxied (kubectl's rule), so this one is only planted: it must not be printed either.
    HTTPS_PROXY: `http://envproxy:${secrets['HTTPS_PROXY password']}@127.0.0.1:9`,
    MESH_CONFORMANCE_DEBUG: '1',
  };
}

test('no credential appears in any artifact or output of a failing run through a proxy, its report and history, check, cleanup and config', async () => {
  // A kubeconfig carrying the token, a client certificate and key (as an AKS admin kubeconfig does), and a proxy-url with a password.
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'mesh-conformance-selftest' }], { keySize: 2048 });
  const keyBody = pems.private.split('\n').filter((l) => l && !l.startsWith('-----')).slice(1, 3).join('');
  const kubeconfig = join(dir, `kubeconfig-with-key-${stamp}`);
  const kc = parse(readFileSync(sim.kubeconfig, 'utf8')) as { clusters: { cluster: Record<string, string> }[]; users: { user: Record<string, string> }[] };
  const user = kc.users[0]?.user;
  if (!user) throw new Error(`no user in ${sim.kubeconfig}`);
  user['client-certificate-data'] = Buffer.from(pems.cert).toString('base64');
  user['client-key-data'] = Buffer.from(pems.private).toString('base64');
  kc.clusters[0]!.cluster['proxy-url'] = proxy.url;
  writeFileSync(kubeconfig, stringify(kc), { mode: 0o600 });
  const { search, findings } = searcher({ 'client key': [keyBody, user['client-key-data'].slice(40, 100)] });

  const port = (prometheus.address() as AddressInfo).port;
  const prometheusUrl = `http://promuser:${secrets['Prometheus URL password']}@127.0.0.1:${port}/?api_key=${secrets['Prometheus URL query token']}`;
  const reportDir = join(dir, `run-${stamp}`);
  const env = { ...quickBudgets, MESH_CONFORMANCE_METRICS_TIMEOUT: '5000', ...environment() };
  const run = await runCliToEnd(['run', '--target', 'kind', '--kubeconfig', kubeconfig, '--report-dir', reportDir, '--prometheus-url', prometheusUrl], { env, timeoutMs: 150_000 });
  expect(run.code, `the run must fail (no scrape target) so diagnostics are attached:\n${run.output.slice(-2000)}`).toBe(1);
  expect(run.output, 'the metrics check failed, naming its (redacted) source').toMatch(/✖ metrics: .*http:\/\/promuser:<redacted>@127\.0\.0\.1:\d+\/\?api_key=<redacted>/);
  // The credentials were used, not just carried.
  expect(proxy.tunnels.length, 'API requests went through the proxy').toBeGreaterThan(0);
  expect(proxy.tunnels.every((t) => t.authorized), 'with the proxy-url\'s credentials').toBe(true);
  expect(prometheusSaw.some((r) => r.url.includes(`api_key=${secrets['Prometheus URL query token']}`) && r.authorization === `Bearer ${secrets['Prometheus token']}`),
    'Prometheus got the URL\'s query token and the bearer token').toBe(true);

  const reports = [buildReport(reportDir), buildReport(reportDir)];
  for (const r of reports) expect(r.code, r.output).toBe(0);
  expect(readFileSync(join(reportDir, 'allure-history.jsonl'), 'utf8').split('\n').filter(Boolean).length, 'the history grew').toBe(2);
  const check = await runCliToEnd(['check', '--target', 'kind', '--kubeconfig', kubeconfig, '--prometheus-url', prometheusUrl], { env, timeoutMs: 90_000 });
  const cleanup = await runCliToEnd(['cleanup', '--kubeconfig', kubeconfig, '--dry-run'], { env, timeoutMs: 60_000 });
  const config = await runCliToEnd(['config', '--target', 'kind', '--kubeconfig', kubeconfig, '--prometheus-url', prometheusUrl, '-o', 'json'], { env, timeoutMs: 60_000 });

  const searched = searchFiles(reportDir, search);
  expect(searched.files, 'the run wrote reports to search').toBeGreaterThan(5);
  expect(filesUnder(reportDir).some((f) => f.endsWith(join('allure-report', 'index.html'))), 'the Allure report is among them').toBe(true);
  search('the run\'s output', run.output);
  for (const [i, r] of reports.entries()) search(`npm run report #${i + 1} output`, r.output);
  search('`check` output', check.output);
  search('`cleanup --dry-run` output', cleanup.output);
  search('`config` output', config.output);
  console.log(`secrets: searched ${searched.files} files (${(searched.bytes / 1024).toFixed(0)} KiB) and 6 outputs for ${Object.keys(secrets).length + 1} secrets: ${findings.length} found`);
  expect(findings).toEqual([]);

  // The search can fail: on what was given to the run, it finds the credentials.
  search('the kubeconfig', readFileSync(kubeconfig, 'utf8') + Buffer.from(user['client-key-data'], 'base64').toString());
  search('the Prometheus URL', prometheusUrl);
  expect(findings).toEqual(expect.arrayContaining(['API bearer token in the kubeconfig', 'client key in the kubeconfig', 'proxy-url password in the kubeconfig',
    'Prometheus URL password in the Prometheus URL', 'Prometheus URL query token in the Prometheus URL']));
});

test('no Azure token appears in any artifact, report or output of a failing aks run that reads Log Analytics', async () => {
  const la = aksSim.ready?.logAnalytics;
  expect(la, 'the simulated aks cluster offers a Log Analytics workspace').toBeTruthy();
  const { search, findings } = searcher();
  const reportDir = join(dir, `aks-${stamp}`);
  // A token the workspace does not accept: the metrics check fails (401) after using it, and attaches its diagnostics.
  const env = {
    ...quickBudgets, MESH_CONFORMANCE_METRICS_TIMEOUT: '5000', ...environment(), MESH_CONFORMANCE_AZURE_TOKEN: secrets['Azure token'],
    MESH_CONFORMANCE_LOG_ANALYTICS_ENDPOINT: la?.endpoint ?? '', MESH_CONFORMANCE_AZURE_CA_FILE: la?.caFile ?? '',
  };
  const run = await runCliToEnd(['run', '--target', 'aks', '--context', aksSim.context, '--kubeconfig', aksSim.kubeconfig, '--report-dir', reportDir,
    '--log-analytics-workspace', la?.workspaceId ?? ''], { env, timeoutMs: 150_000 });
  expect(run.code, run.output.slice(-3000)).toBe(1);
  expect(run.output, 'the metrics check failed on Log Analytics').toMatch(/✖ metrics: /);
  const report = buildReport(reportDir);
  expect(report.code, report.output).toBe(0);
  const check = await runCliToEnd(['check', '--target', 'aks', '--context', aksSim.context, '--kubeconfig', aksSim.kubeconfig, '--log-analytics-workspace', la?.workspaceId ?? ''], { env, timeoutMs: 90_000 });
  const config = await runCliToEnd(['config', '--target', 'aks', '--context', aksSim.context, '--kubeconfig', aksSim.kubeconfig], { env, timeoutMs: 60_000 });
  const searched = searchFiles(reportDir, search);
  search('the run\'s output', run.output);
  search('npm run report output', report.output);
  search('`check` output', check.output);
  search('`config` output', config.output);
  console.log(`secrets (aks): searched ${searched.files} files (${(searched.bytes / 1024).toFixed(0)} KiB) and 4 outputs: ${findings.length} found`);
  expect(findings).toEqual([]);
  search('the environment given', JSON.stringify(env));
  expect(findings).toEqual(expect.arrayContaining(['Azure token in the environment given', 'Azure client secret in the environment given']));
});
