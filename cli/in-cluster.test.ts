// In-cluster mode through the CLI: the pod's service account (token, CA, KUBERNETES_SERVICE_*; the directory through
// the test-only MESH_CONFORMANCE_SERVICE_ACCOUNT_DIR), forced or detected, its bad input, and --results-dir with
// Sonobuoy's done file on a run that could not start. A throwaway HTTPS server plays an API server that forbids the
// service account everything, so each run stops at the first read with exit 2.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generate } from 'selfsigned';
import { lookupInCluster, renderInClusterKubeconfig } from '../harness/config/in-cluster.ts';
import { decideInCluster } from './in-cluster.ts';
import { runMain } from './testing/run-main.ts';

const dir = mkdtempSync(join(tmpdir(), 'mc-in-cluster-'));
const saDir = join(dir, 'serviceaccount');
const token = 'in-cluster-test-token-7f3a';
let server: https.Server;
let port = 0;
const seen: { path: string; authorization: string | undefined }[] = [];

function runCli(args: string[], env: Record<string, string | undefined> = {}) {
  const clean = Object.fromEntries(Object.keys(process.env).filter((k) => k.startsWith('MESH_CONFORMANCE_') || k.startsWith('KUBERNETES_') || k === 'SONOBUOY_RESULTS_DIR').map((k) => [k, undefined]));
  return runMain(args, { env: { ...clean, KUBECONFIG: '', HOME: dir, ...env }, cwd: dir });
}

const podEnv = (): Record<string, string> => ({ KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(port), MESH_CONFORMANCE_SERVICE_ACCOUNT_DIR: saDir });

describe('in-cluster mode (through the CLI)', () => {
  before(async () => {
    const ca = await generate([{ name: 'commonName', value: 'in-cluster-test-ca' }], { keySize: 2048, algorithm: 'sha256', extensions: [{ name: 'basicConstraints', cA: true, critical: true }, { name: 'keyUsage', keyCertSign: true, digitalSignature: true, critical: true }] });
    const serving = await generate([{ name: 'commonName', value: '127.0.0.1' }], { keySize: 2048, algorithm: 'sha256', ca: { key: ca.private, cert: ca.cert }, extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }] });
    mkdirSync(saDir, { recursive: true });
    writeFileSync(join(saDir, 'token'), token);
    writeFileSync(join(saDir, 'ca.crt'), ca.cert);
    writeFileSync(join(saDir, 'namespace'), 'mesh-conformance\n');
    server = https.createServer({ key: serving.private, cert: serving.cert }, (req, res) => {
      seen.push({ path: req.url ?? '', authorization: req.headers.authorization });
      if (req.url === '/version') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ major: '1', minor: '29', gitVersion: 'v1.29.4' }));
        return;
      }
      res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Forbidden', code: 403,
        message: `forbidden: User "system:serviceaccount:mesh-conformance:mesh-conformance" cannot get ${req.url ?? ''}` }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds the pod\'s configuration and renders a kubeconfig that reads the token from its file', () => {
    const found = lookupInCluster({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443', MESH_CONFORMANCE_SERVICE_ACCOUNT_DIR: saDir });
    assert.ok(found.ok);
    assert.equal(found.env.server, 'https://[fd00::1]:443');
    assert.equal(found.env.namespace, 'mesh-conformance');
    const kc = renderInClusterKubeconfig(found.env);
    assert.match(kc, /tokenFile: .*serviceaccount\/token/);
    assert.doesNotMatch(kc, new RegExp(token), 'the token itself is never copied');
    assert.deepEqual(lookupInCluster({ KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443', MESH_CONFORMANCE_SERVICE_ACCOUNT_DIR: join(dir, 'none') }).ok, false);
  });

  it('--in-cluster outside a pod is one line naming what is missing, exit 2', async () => {
    const res = await runCli(['run', '--in-cluster']);
    assert.equal(res.code, 2, res.stderr);
    assert.equal(res.stderr, 'mesh-conformance: --in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set (they are in every pod); run it inside a pod, or pass --kubeconfig FILE instead\n');
    const noToken = await runCli(['run', '--in-cluster'], { ...podEnv(), MESH_CONFORMANCE_SERVICE_ACCOUNT_DIR: join(dir, 'empty') });
    assert.match(noToken.stderr, /^mesh-conformance: --in-cluster: no service-account token at \S+empty\/token \(is automountServiceAccountToken false/);
  });

  it('--in-cluster with a kubeconfig, a context or the local target is bad input', async () => {
    assert.match((await runCli(['run', '--in-cluster', '--kubeconfig', join(dir, 'k')], podEnv())).stderr, /^mesh-conformance: --in-cluster and --kubeconfig both say how to reach the cluster: pass one of them\n$/);
    assert.match((await runCli(['run', '--in-cluster', '--context', 'x'], podEnv())).stderr, /^mesh-conformance: --in-cluster uses the pod's own cluster and has no contexts: drop --context\n$/);
    assert.match((await runCli(['run', '--in-cluster', '--target', 'local'], podEnv())).stderr, /^mesh-conformance: --in-cluster runs against the cluster the pod is in: drop --target local/);
  });

  it('is detected in a pod when a real target and no kubeconfig is given, and sends the mounted token; the results dir gets a failing JUnit and Sonobuoy\'s done file', async () => {
    seen.length = 0;
    const results = join(dir, 'sonobuoy-results');
    const res = await runCli(['run', '--target', 'kind', '--results-dir', results], { ...podEnv(), SONOBUOY_RESULTS_DIR: results });
    assert.equal(res.code, 2, res.stderr);
    assert.match(res.stderr, new RegExp(`^mesh-conformance: pre-flight failed \\(context in-cluster, server https://127\\.0\\.0\\.1:${port}\\): 1 problem, nothing was written to the cluster\\n  - \\[api\\] authenticated, but the API server https://127\\.0\\.0\\.1:${port} forbids this user: 403`));
    assert.ok(seen.length > 0 && seen.every((s) => s.authorization === `Bearer ${token}`), `every request carried the mounted token: ${JSON.stringify(seen)}`);
    assert.match(readFileSync(join(results, 'junit.xml'), 'utf8'), /<failure message="pre-flight failed \(context in-cluster/);
    assert.match(readFileSync(join(results, 'summary.txt'), 'utf8'), /^mesh-conformance: pre-flight failed \(context in-cluster/);
    const done = readFileSync(join(results, 'done'), 'utf8');
    assert.equal(done, join(results, 'results.tar.gz'), 'done names the archive, without a newline');
    const listing = execFileSync('tar', ['-tzf', done], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
    assert.deepEqual(listing, ['conformance-report.json', 'conformance-report.yaml', 'junit.xml', 'summary.txt']);
    assert.match(res.stdout, /mesh-conformance: results in \S+ \(conformance-report\.yaml, conformance-report\.json, junit\.xml, summary\.txt, results\.tar\.gz, done\); Sonobuoy done file /);
    // Every run leaves a ConformanceReport: this one could not check the cluster, and says why.
    const report = JSON.parse(readFileSync(join(results, 'conformance-report.json'), 'utf8')) as { mode: string; run: { result: string; reason: string }; cluster: { context: string }; core: { tests: unknown[] } };
    assert.equal(report.mode, 'in-cluster');
    assert.equal(report.run.result, 'error');
    assert.match(report.run.reason, /^pre-flight failed \(context in-cluster/);
    assert.equal(report.cluster.context, 'in-cluster');
    assert.deepEqual(report.core.tests, []);
  });

  it('is not detected in a checkout without a target: that still means the embedded simulated cluster', () => {
    const inv = { command: 'run' as const, flags: {}, playwrightArgs: [] };
    assert.equal(decideInCluster(inv, podEnv(), undefined), undefined);
    assert.ok(decideInCluster({ ...inv, flags: { target: 'aks' } }, podEnv(), undefined));
    assert.equal(decideInCluster({ ...inv, flags: { target: 'aks', context: 'c' } }, podEnv(), undefined), undefined);
  });

  it('is not used when a kubeconfig is given, and a results dir that is not Sonobuoy\'s gets no done file', async () => {
    const results = join(dir, 'plain-results');
    const res = await runCli(['run', '--target', 'kind', '--kubeconfig', join(dir, 'missing.kubeconfig'), '--results-dir', results], podEnv());
    assert.equal(res.code, 2);
    assert.match(res.stderr, /^mesh-conformance: cannot read kubeconfig \S+missing\.kubeconfig/);
    assert.ok(existsSync(join(results, 'junit.xml')));
    assert.ok(!existsSync(join(results, 'done')), 'no done file outside Sonobuoy\'s results directory');
  });
});
