// Requirement (issue 7, secrets): tokens, client keys and Azure credentials never appear in logs, reports or
// attachments. The suite runs with recognisable secrets, on a failing run (so every diagnostic is attached), and every
// file the run wrote, and everything it printed, is searched for them.
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import selfsigned from 'selfsigned';
import { parse, stringify } from 'yaml';
import type { TestSim } from './reliability-support.ts';
import { quickBudgets, runCliToEnd, startTestSim } from './reliability-support.ts';

const dir = join(process.env.MESH_CONFORMANCE_SELFTEST_REPORT_DIR ?? 'reports/selftest', 'secrets');
const stamp = Date.now().toString(36);
const secrets = {
  'API bearer token': `sEcReT-kube-token-${stamp}-7f3a9c`,
  'Prometheus token': `sEcReT-prom-token-${stamp}-51be`,
  'Azure token': `sEcReT-azure-token-${stamp}-c0de`,
  'Azure client secret': `sEcReT-azure-client-secret-${stamp}`,
};

let sim: TestSim;

test.beforeAll(async () => {
  // app-503 makes the ingress check fail, so the diagnostics fixture attaches everything it has (logs, YAML,
  // API failures, HTTP exchanges) and the secrets get every chance to leak.
  sim = await startTestSim(join(dir, 'sim'), { token: secrets['API bearer token'], faults: ['app-503'] });
});
test.afterAll(async () => {
  await sim?.stop();
});

/** Every file under `root`, recursively. */
function filesUnder(root: string): string[] {
  return readdirSync(root, { withFileTypes: true }).flatMap((e) => {
    const p = join(root, e.name);
    return e.isDirectory() ? filesUnder(p) : e.isFile() ? [p] : [];
  });
}

/** The forms a secret could take in an artifact: as is, base64, and base64url (attachments are often encoded). */
function forms(secret: string): string[] {
  const b64 = Buffer.from(secret).toString('base64').replace(/=+$/, '');
  return [secret, b64.slice(0, -2), Buffer.from(secret).toString('base64url').slice(0, -2)];
}

test('no token, client key or Azure credential appears in any artifact or output of a failing run', async () => {
  // A kubeconfig carrying the token and a client certificate and key, as an AKS admin kubeconfig does.
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'mesh-conformance-selftest' }], { keySize: 2048 });
  const keyBody = pems.private.split('\n').filter((l) => l && !l.startsWith('-----')).slice(1, 3).join('');
  const kubeconfig = join(dir, `kubeconfig-with-key-${stamp}`);
  const kc = parse(readFileSync(sim.kubeconfig, 'utf8')) as { users: { user: Record<string, string> }[] };
  const user = kc.users[0]?.user;
  if (!user) throw new Error(`no user in ${sim.kubeconfig}`);
  user['client-certificate-data'] = Buffer.from(pems.cert).toString('base64');
  user['client-key-data'] = Buffer.from(pems.private).toString('base64');
  writeFileSync(kubeconfig, stringify(kc), { mode: 0o600 });
  const clientKeyForms = [keyBody, user['client-key-data'].slice(40, 100)];

  const reportDir = join(dir, `run-${stamp}`);
  const env = {
    ...quickBudgets,
    MESH_CONFORMANCE_PROMETHEUS_TOKEN: secrets['Prometheus token'],
    MESH_CONFORMANCE_AZURE_TOKEN: secrets['Azure token'],
    AZURE_CLIENT_SECRET: secrets['Azure client secret'],
    AZURE_CLIENT_ID: '00000000-0000-0000-0000-000000000000',
    AZURE_TENANT_ID: '00000000-0000-0000-0000-000000000000',
    MESH_CONFORMANCE_DEBUG: '1',
  };
  const run = await runCliToEnd(['run', '--target', 'kind', '--kubeconfig', kubeconfig, '--report-dir', reportDir], { env, timeoutMs: 150_000 });
  expect(run.code, `the run must fail (app-503) so diagnostics are attached:\n${run.output.slice(-2000)}`).toBe(1);
  const cleanup = await runCliToEnd(['cleanup', '--kubeconfig', kubeconfig, '--dry-run'], { env, timeoutMs: 60_000 });
  const config = await runCliToEnd(['config', '--target', 'kind', '--kubeconfig', kubeconfig], { env, timeoutMs: 60_000 });

  const files = filesUnder(reportDir);
  expect(files.length, 'the run wrote reports to search').toBeGreaterThan(5);
  expect(files.some((f) => /attachments|data/.test(f)) || files.some((f) => f.endsWith('results.json')), 'attachments or the JSON report are among them').toBe(true);
  const findings: string[] = [];
  const search = (where: string, text: string): void => {
    for (const [what, secret] of Object.entries(secrets)) {
      for (const form of forms(secret)) if (text.includes(form)) findings.push(`${what} in ${where}`);
    }
    for (const form of clientKeyForms) if (text.includes(form)) findings.push(`client key in ${where}`);
  };
  let bytes = 0;
  for (const f of files) {
    if (statSync(f).size > 50_000_000) continue;
    const text = readFileSync(f).toString('latin1');
    bytes += text.length;
    search(f, text);
  }
  search('the run\'s output', run.output);
  search('`cleanup --dry-run` output', cleanup.output);
  search('`config` output', config.output);
  console.log(`secrets: searched ${files.length} files (${(bytes / 1024).toFixed(0)} KiB) and 3 outputs for ${Object.keys(secrets).length + 1} secrets: ${findings.length} found`);
  expect(findings).toEqual([]);
  // The search can fail: run on the kubeconfig given to the run, it finds the token and the client key.
  search('the kubeconfig', readFileSync(kubeconfig, 'utf8') + Buffer.from(user['client-key-data'], 'base64').toString());
  expect(findings).toEqual(expect.arrayContaining(['API bearer token in the kubeconfig', 'client key in the kubeconfig']));
});
