// Requirement (issue 7, issue 19, bad input): every case in docs/bad-input.md ends with its documented exit code (2 for
// what the user must change, 3 for a cluster that stays unavailable, 0 for input that works as kubectl's would), an
// actionable line (one line; the pre-flight report gives one line per problem under a header line), within a bound
// (never a hang), and no stack trace. The table in the doc and the cases here are the same list (a test checks it).
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import selfsigned from 'selfsigned';
import { parse, stringify } from 'yaml';
import { heartbeatAnnotation } from '../harness/cleanup/leftovers.ts';
import { startConnectProxy } from '../harness/http/testing/connect-proxy.ts';
import { runLabels } from '../harness/k8s/run-labels.ts';
import type { TestSim } from './reliability-support.ts';
import { packageRoot, runCliToEnd, startTestSim } from './reliability-support.ts';

// In order, one worker (the cluster-breaking cases last); a failure does not skip the rest (the worker restarts with a new simulator).
test.describe.configure({ mode: 'default' });

const dir = resolve(process.env.MESH_CONFORMANCE_SELFTEST_REPORT_DIR ?? 'reports/selftest', 'bad-input');
let sim: TestSim;
const servers: Server[] = [];

interface KubeconfigDoc {
  clusters: { name: string; cluster: Record<string, unknown> }[];
  users: { name: string; user: Record<string, unknown> }[];
  contexts: unknown[];
  'current-context': string;
}

/** A variant of the simulator's kubeconfig, written to a file of its own. */
function kubeconfigVariant(name: string, change: (doc: KubeconfigDoc) => void): string {
  const doc = parse(readFileSync(sim.kubeconfig, 'utf8')) as KubeconfigDoc;
  change(doc);
  const file = join(dir, `${name}.kubeconfig`);
  writeFileSync(file, stringify(doc), { mode: 0o600 });
  return file;
}

/** A plain HTTP server on loopback answering every request with `respond`; returns its URL. */
async function fakeServer(respond: (url: string) => { status: number; type: string; body: string }): Promise<string> {
  const server = createServer((req, res) => {
    const r = respond(req.url ?? '/');
    res.writeHead(r.status, { 'content-type': r.type });
    res.end(r.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function pointAt(doc: KubeconfigDoc, url: string): void {
  const c = doc.clusters[0]!.cluster;
  c.server = url;
  delete c['certificate-authority-data'];
  if (url.startsWith('http:')) c['insecure-skip-tls-verify'] = true;
}

test.beforeAll(async () => {
  mkdirSync(dir, { recursive: true });
  sim = await startTestSim(join(dir, 'sim'));
});
test.afterAll(async () => {
  for (const s of servers) s.close();
  for (const close of closers) await close();
  await sim?.stop();
});

interface BadInput {
  /** The row in docs/bad-input.md. */
  name: string;
  args: () => Promise<string[]> | string[];
  env?: Record<string, string> | (() => Record<string, string>);
  /** The line that must name the problem and say what to do. */
  expect: RegExp;
  /** Files of the working directory the command runs in (a fresh folder). */
  cwdFiles?: Record<string, string>;
  /** The exit code (default 2). */
  code?: number;
  /** The line is on stdout: input that is accepted (exit 0), where the line shows it worked. */
  stdout?: boolean;
  /** Reported by the pre-flight check (a header line, then one line per problem). */
  preflight?: boolean;
  /** Changes the cluster: runs after the others. */
  destructive?: boolean;
  /** `npm run report` (scripts/report.mjs) instead of the CLI. */
  report?: boolean;
  /** Run as this uid (and gid), e.g. 65534 (nobody). */
  uid?: number;
  /** Exit within this bound (cases that used to hang); default 90 s. */
  withinMs?: number;
  /** Checks after the command (what must be left untouched). */
  after?: () => void | Promise<void>;
}

/** An executable script under `dir`. */
function script(name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  chmodSync(file, 0o755);
  return file;
}

/** A kubeconfig of the simulator whose user runs `command args` as its exec credential plugin. */
function execKubeconfig(name: string, command: string, args: string[]): string {
  return kubeconfigVariant(name, (d) => { d.users[0]!.user = { exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command, args } }; });
}

/** A folder holding `files` (path → content), made fresh. */
function folder(name: string, files: Record<string, string>): string {
  const d = join(dir, name);
  rmSync(d, { recursive: true, force: true });
  mkdirSync(d, { recursive: true });
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(join(d, f, '..'), { recursive: true });
    writeFileSync(join(d, f), text);
  }
  return d;
}

/** A FIFO fed once with `text` (what `--kubeconfig <(…)` hands over): it can be read exactly once. */
function fifo(name: string, text: string): string {
  const f = join(dir, name);
  rmSync(f, { force: true });
  execFileSync('mkfifo', [f]);
  // The writer blocks until the reader opens the pipe, writes once and is gone.
  spawn('sh', ['-c', `printf '%s' "$DATA" > ${f}`], { stdio: 'ignore', env: { DATA: text }, detached: true }).unref();
  return f;
}

/** Functions that close what a case started (proxies), run after all. */
const closers: (() => Promise<void>)[] = [];

/** A report folder holding one Allure result, as a run leaves it (for the `npm run report` cases). */
function reportRun(): string {
  const d = join(dir, 'report-run');
  if (!existsSync(join(d, 'allure-results'))) {
    mkdirSync(join(d, 'allure-results'), { recursive: true });
    writeFileSync(join(d, 'allure-results', '00000000-0000-4000-8000-000000000001-result.json'), JSON.stringify({
      uuid: '00000000-0000-4000-8000-000000000001', historyId: 'namespace', testCaseId: 'namespace', name: 'namespace', fullName: 'conformance.spec.ts#namespace',
      status: 'passed', stage: 'finished', start: 1_700_000_000_000, stop: 1_700_000_001_000, labels: [{ name: 'feature', value: 'namespace' }],
      steps: [], attachments: [], parameters: [], links: [],
    }));
  }
  return d;
}

const zx = [join(packageRoot, 'node_modules', 'zx', 'build', 'cli.js'), join(packageRoot, 'scripts', 'report.mjs')];

const run = (...more: string[]): string[] => ['run', '--target', 'kind', '--kubeconfig', sim.kubeconfig, ...more];

const cases: BadInput[] = [
  { name: 'kubeconfig missing', args: () => ['run', '--target', 'kind', '--kubeconfig', join(dir, 'no-such-kubeconfig')], expect: /cannot read kubeconfig .*no-such-kubeconfig: pass --kubeconfig FILE/ },
  { name: 'kubeconfig malformed', args: () => {
    const f = join(dir, 'malformed.kubeconfig');
    writeFileSync(f, 'apiVersion: v1\nclusters: [\n');
    return ['run', '--target', 'kind', '--kubeconfig', f];
  }, expect: /unusable kubeconfig .*malformed\.kubeconfig: .*pass --kubeconfig FILE|unusable kubeconfig .*malformed\.kubeconfig: / },
  { name: 'unknown context', args: () => run('--context', 'no-such-context'), expect: /context "no-such-context" not found in .* \(contexts: mesh-conformance-sim-kind\)/ },
  { name: 'wrong token (401)', args: () => ['run', '--target', 'kind', '--kubeconfig', kubeconfigVariant('wrong-token', (d) => { d.users[0]!.user.token = 'not-the-token'; })], expect: /rejected the credentials: 401 .*Hint: /, preflight: true },
  { name: 'expired token (401)', args: () => {
    const b64 = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const expired = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ sub: 'ci', exp: 1_600_000_000 })}.c2lnbmF0dXJl`;
    return ['run', '--target', 'kind', '--kubeconfig', kubeconfigVariant('expired-token', (d) => { d.users[0]!.user.token = expired; })];
  }, expect: /rejected the credentials: 401 .*Hint: .*expired/, preflight: true },
  { name: 'wrong CA', args: async () => {
    const other = await selfsigned.generate([{ name: 'commonName', value: 'another-cluster-ca' }], { keySize: 2048 });
    return ['run', '--target', 'kind', '--kubeconfig', kubeconfigVariant('wrong-ca', (d) => { d.clusters[0]!.cluster['certificate-authority-data'] = Buffer.from(other.cert).toString('base64'); })];
  }, expect: /TLS: the certificate of .* is not trusted .*Hint: /, preflight: true },
  { name: 'unreachable server', args: () => ['run', '--target', 'kind', '--kubeconfig', kubeconfigVariant('unreachable', (d) => { d.clusters[0]!.cluster.server = 'https://127.0.0.1:1'; })], expect: /nothing listens at https:\/\/127\.0\.0\.1:1 .*Hint: /, preflight: true },
  { name: 'a server that is not Kubernetes', args: async () => {
    const url = await fakeServer(() => ({ status: 200, type: 'text/html', body: '<html><body>Welcome to nginx!</body></html>' }));
    return ['run', '--target', 'kind', '--kubeconfig', kubeconfigVariant('not-kubernetes', (d) => pointAt(d, url))];
  }, expect: /\[api\] .*(not a Kubernetes API server|not Kubernetes|HTML|unexpected).*Hint: /i, preflight: true },
  { name: 'forbidden (403)', args: async () => {
    const url = await fakeServer((path) => path.startsWith('/version')
      ? { status: 200, type: 'application/json', body: JSON.stringify({ major: '1', minor: '29', gitVersion: 'v1.29.4' }) }
      : { status: 403, type: 'application/json', body: JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Forbidden', code: 403, message: `forbidden: User "dev" cannot get path "${path}"` }) });
    return ['run', '--target', 'kind', '--kubeconfig', kubeconfigVariant('forbidden', (d) => pointAt(d, url))];
  }, expect: /403|forbidden|not allowed/i, preflight: true },
  { name: 'wrong mesh namespace', args: () => run(), env: { MESH_CONFORMANCE_MESH_NAMESPACE: 'no-such-mesh-ns' }, expect: /OSM control plane not found in namespace no-such-mesh-ns.*Hint: .*osm-system/, preflight: true },
  { name: 'Ingress profile that does not match the cluster', args: () => run(), env: { MESH_CONFORMANCE_INGRESS: 'agic' }, expect: /Application Gateway Ingress Controller is not installed.*choose the ingress profile that matches the cluster/, preflight: true },
  { name: 'invalid config value (flag)', args: () => ['run', '--consecutive-successes', '0'], expect: /consecutiveSuccesses must be a whole number from 1 to 100 \(got "0" from --consecutive-successes\)/ },
  { name: 'invalid config value (environment)', args: () => ['run'], env: { MESH_CONFORMANCE_TIMEOUT_ROLLOUT: 'soon' }, expect: /rollout must be a positive duration such as 90s.*MESH_CONFORMANCE_TIMEOUT_ROLLOUT/ },
  { name: 'unknown target', args: () => ['run', '--target', 'minikube'], expect: /argument 'minikube' is invalid\. Allowed choices are local, kind, aks/ },
  { name: 'unknown simulator fault', args: () => ['run', '--sim-fault', 'no-such-fault'], expect: /unknown fault "no-such-fault"; valid faults: / },
  { name: 'simulator fault with a real target', args: () => run('--sim-fault', 'app-503'), expect: /--sim-fault applies only to --target local/ },
  { name: 'kubeconfig with the local target', args: () => ['run', '--kubeconfig', sim.kubeconfig], expect: /add --target kind or --target aks/ },
  { name: 'unwritable report directory', args: () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    return ['run', '--report-dir', join(file, 'reports')];
  }, expect: /cannot write reports to .*a-file\/reports \(a part of the path is a file\): pass --report-dir DIR/ },
  { name: 'simulator port taken', args: async () => {
    const blocker = createTcpServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    servers.push(blocker as unknown as Server);
    return ['sim', '--port', String((blocker.address() as AddressInfo).port), '--kubeconfig', join(dir, 'port-taken', 'kubeconfig')];
  }, expect: /port \d+ is already in use: pass another --port, or omit --port/ },
  { name: 'invalid cleanup TTL', args: () => ['cleanup', '--kubeconfig', sim.kubeconfig, '--ttl', 'soon'], expect: /Invalid configuration: sweepTtl must be a duration such as 30m, 2h or 0, at most 24h \(got "soon" from --ttl\)/ },
  // ---- issue 19: kubeconfigs kubectl reads, and that client-node misread ----
  { name: 'kubeconfig server without a scheme', args: () => run('--kubeconfig', kubeconfigVariant('no-scheme', (d) => { d.clusters[0]!.cluster.server = String(d.clusters[0]!.cluster.server).replace(/^https:\/\//, ''); })),
    expect: /unusable kubeconfig .*no-scheme\.kubeconfig: cluster "[^"]+" has server "127\.0\.0\.1:\d+", which is not an http\(s\) URL; fix it with the scheme, e\.g\. server: https:\/\/127\.0\.0\.1:\d+/ },
  { name: 'empty kubeconfig', args: () => {
    const f = join(dir, 'empty.kubeconfig');
    writeFileSync(f, '');
    return ['run', '--target', 'kind', '--kubeconfig', f];
  }, expect: /unusable kubeconfig .*empty\.kubeconfig: it is empty \(no clusters, users or contexts\); write one with `kind export kubeconfig/ },
  { name: 'a context without its user entry', args: () => ['run', '--target', 'kind', '--kubeconfig', kubeconfigVariant('no-user', (d) => { d.users = []; })],
    expect: /context "mesh-conformance-sim-kind" names user "[^"]+", which is not defined \(users: none\); fix the context's user/ },
  { name: 'a tokenFile that does not exist', args: () => ['run', '--target', 'kind', '--kubeconfig', kubeconfigVariant('token-file', (d) => { d.users[0]!.user = { tokenFile: join(dir, 'no-such-token') }; })],
    expect: /user "[^"]+"'s tokenFile .*no-such-token cannot be read \(no such file\); point tokenFile at a readable token file/ },
  { name: 'a certificate-authority file that does not exist', args: () => ['run', '--target', 'kind', '--kubeconfig', kubeconfigVariant('ca-file', (d) => {
    delete d.clusters[0]!.cluster['certificate-authority-data'];
    d.clusters[0]!.cluster['certificate-authority'] = join(dir, 'no-such-ca.crt');
  })], expect: /cluster "[^"]+"'s certificate-authority .*no-such-ca\.crt cannot be read \(no such file\); fix the path, use certificate-authority-data/ },
  { name: 'KUBECONFIG=a:b (the context is in b)', stdout: true, code: 0, args: () => {
    const a = kubeconfigVariant('merge-a', (d) => { d.contexts = []; d['current-context'] = ''; d.clusters[0]!.name = 'other'; d.users[0]!.name = 'other'; });
    return ['cleanup', '--dry-run', '--kubeconfig', `${a}:${sim.kubeconfig}`];
  }, expect: /^mesh-conformance cleanup: would delete \d+ of \d+ run namespaces .*context mesh-conformance-sim-kind\)$/ },
  { name: 'KUBECONFIG=missing:good', stdout: true, code: 0, args: () => ['cleanup', '--dry-run'], env: () => ({ KUBECONFIG: `${join(dir, 'no-such')}:${sim.kubeconfig}` }),
    expect: /^mesh-conformance cleanup: would delete \d+ of \d+ run namespaces .*context mesh-conformance-sim-kind\)$/ },
  { name: 'KUBECONFIG naming no file that exists', args: () => ['cleanup', '--dry-run'], env: { KUBECONFIG: `${join(dir, 'no-1')}:${join(dir, 'no-2')}` },
    expect: /cannot read kubeconfig .*no-1:.*no-2 \(none of these files exists\): pass --kubeconfig FILE/ },
  { name: '--kubeconfig <(…), a pipe read once', stdout: true, code: 0, args: () => ['check', '--target', 'kind', '--kubeconfig', fifo('kubeconfig.fifo', readFileSync(sim.kubeconfig, 'utf8'))],
    expect: /^Status: \d+ ok, \d+ warnings?, 0 failures: ready/ },
  { name: 'an unsupported proxy-url', args: () => run('--kubeconfig', kubeconfigVariant('ftp-proxy', (d) => { d.clusters[0]!.cluster['proxy-url'] = 'ftp://proxy.example:21'; })),
    expect: /has proxy-url "ftp:\/\/proxy\.example:21", which is not an http, https or socks5 URL; fix proxy-url/ },
  // ---- issue 19: credential plugins and proxies that never answer (bounded by timeouts.apply) ----
  { name: 'an exec credential plugin that never returns', withinMs: 30_000, env: { MESH_CONFORMANCE_TIMEOUT_APPLY: '2s' },
    args: () => ['run', '--target', 'kind', '--kubeconfig', execKubeconfig('exec-hang', script('hang-plugin', 'exec sleep 600'), ['get-token'])],
    expect: /cannot get credentials from the kubeconfig: the kubeconfig's exec credential plugin `.*hang-plugin get-token` \(user [^)]+\) did not return within 2s \(timeouts\.apply\); it was stopped\. Hint: run the plugin by hand/, preflight: true },
  { name: 'kubelogin\'s device-code login', withinMs: 30_000,
    args: () => ['run', '--target', 'kind', '--kubeconfig', execKubeconfig('kubelogin', script('kubelogin', 'echo "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code ABCD1234 to authenticate." >&2\nexec sleep 600'), ['get-token', '--login', 'devicecode', '--server-id', 'x'])],
    expect: /asks for a device-code sign-in, which this non-interactive run cannot show; it was stopped\. Hint: .*kubelogin convert-kubeconfig -l azurecli/, preflight: true },
  { name: 'an exec credential plugin that is not installed', args: () => ['run', '--target', 'kind', '--kubeconfig', execKubeconfig('exec-missing', 'no-such-credential-plugin', ['get-token'])],
    expect: /exec credential plugin `no-such-credential-plugin get-token` \(user [^)]+\) is not installed or not on PATH\. Hint: install it/, preflight: true },
  { name: 'an exec credential plugin that fails', args: () => ['run', '--target', 'kind', '--kubeconfig', execKubeconfig('exec-fails', script('failing-plugin', 'echo "error: token expired, run az login" >&2\nexit 1'), [])],
    expect: /exec credential plugin `.*failing-plugin` \(user [^)]+\) failed \(exit 1\): error: token expired, run az login\. Hint: run the plugin by hand/, preflight: true },
  { name: 'a proxy-url that accepts and never answers', withinMs: 30_000, env: { MESH_CONFORMANCE_TIMEOUT_APPLY: '2s' }, args: async () => {
    const p = await startConnectProxy({ hang: true });
    closers.push(() => p.close());
    return run('--kubeconfig', kubeconfigVariant('proxy-hang', (d) => { d.clusters[0]!.cluster['proxy-url'] = p.url; }));
  }, expect: /\[api\] the API server https:\/\/127\.0\.0\.1:\d+, through the proxy http:\/\/127\.0\.0\.1:\d+, did not answer within 2s \(timeouts\.apply\)\. Hint: check that the proxy \(the cluster's proxy-url, or HTTPS_PROXY and NO_PROXY\) is up/, preflight: true },
  { name: 'a proxy-url with the wrong credentials (407)', args: async () => {
    const p = await startConnectProxy({ credentials: 'u:right' });
    closers.push(() => p.close());
    return run('--kubeconfig', kubeconfigVariant('proxy-407', (d) => { d.clusters[0]!.cluster['proxy-url'] = p.url.replace('u:right@', 'u:wrong@'); }));
  }, expect: /\[api\] the proxy in front of https:\/\/127\.0\.0\.1:\d+ refused the credentials it was given, or wants some \(407 Proxy Authentication Required\)\. Hint: fix the user and password in the cluster's proxy-url/, preflight: true },
  { name: 'a cluster reachable only through its proxy-url', stdout: true, code: 0, args: async () => {
    const port = new URL(sim.server).port;
    const p = await startConnectProxy({ map: (host) => (host === 'mesh-sim.invalid' ? { host: '127.0.0.1', port } : { host, port: '1' }) });
    closers.push(() => p.close());
    return ['check', '--target', 'kind', '--kubeconfig', kubeconfigVariant('proxy-only', (d) => {
      d.clusters[0]!.cluster.server = `https://mesh-sim.invalid:${port}`;
      d.clusters[0]!.cluster['tls-server-name'] = 'localhost';
      d.clusters[0]!.cluster['proxy-url'] = p.url;
    })];
  }, expect: /^Status: \d+ ok, \d+ warnings?, 0 failures: ready/ },
  // ---- issue 19: a cluster that stays unavailable is not bad input ----
  { name: 'an API server that stays unavailable (503)', code: 3, env: { MESH_CONFORMANCE_TIMEOUT_APPLY: '2s' }, args: async () => {
    const url = await fakeServer(() => ({ status: 503, type: 'application/json', body: JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'ServiceUnavailable', code: 503, message: 'the server is currently unable to handle the request' }) }));
    return ['run', '--target', 'kind', '--kubeconfig', kubeconfigVariant('unavailable', (d) => pointAt(d, url))];
  }, expect: /\[api\] the API server http:\/\/127\.0\.0\.1:\d+ stayed unavailable through every retry within 2s \(timeouts\.apply\): GET \/version answered 503 \(ServiceUnavailable: the server is currently unable to handle the request\)\. Hint: .*retry later/, preflight: true },
  // ---- issue 19: pass-through arguments, checked before anything starts ----
  { name: 'a mistyped option for Playwright', args: () => run('--', '--grp', '@ingress'),
    expect: /Playwright refused the arguments passed to it \(--grp @ingress\): unknown option '--grp' \(Did you mean --grep\?\); check `npx playwright test --help` for its options/ },
  { name: 'a filter that selects no check', args: () => ['run', '--', '--grep', '@no-such-check'],
    expect: /no check matches --grep @no-such-check; `mesh-conformance run --list` shows them all/ },
  // ---- issue 19: the report folder ----
  { name: 'a report folder holding the user\'s files', args: () => ['run', '--report-dir', folder('users-folder', { 'thesis.docx': 'mine', 'html/index.html': 'mine too' })],
    expect: /report folder .*users-folder holds files mesh-conformance did not write \(thesis\.docx\); a run empties html\/.*pass --report-dir DIR to a new or empty folder/,
    after: () => { expect(existsSync(join(dir, 'users-folder', 'html', 'index.html')), 'the user\'s files are untouched').toBe(true); } },
  { name: 'summary.txt is a folder', args: () => ['run', '--report-dir', folder('summary-folder', { '.mesh-conformance-reports': '', 'summary.txt/x': '' })],
    expect: /cannot write reports to .*summary-folder \(summary\.txt is a folder, where the run writes a file: remove it\): pass --report-dir DIR/ },
  { name: 'an earlier run\'s files owned by another user', uid: 65534, env: { HOME: '/tmp' }, args: () => {
    const d = folder('other-owner', { '.mesh-conformance-reports': '', 'diagnostics/ingress/events.txt': 'root\'s' });
    chownSync(d, 65534, 65534);
    chownSync(join(d, '.mesh-conformance-reports'), 65534, 65534);
    return ['run', '--report-dir', d];
  }, expect: /cannot write reports to .*other-owner \(diagnostics cannot be cleared: permission denied, owner uid 0 \(an earlier run as another user\?\)\): pass --report-dir DIR/ },
  { name: 'a report folder below /proc', withinMs: 30_000, args: () => ['run', '--report-dir', '/proc/mesh-conformance-reports'],
    expect: /cannot write reports to \/proc\/mesh-conformance-reports \(a folder cannot be created there\): pass --report-dir DIR/ },
  // ---- issue 19: npm run report ----
  { name: 'npm run report --output naming a file', report: true, args: () => {
    const f = join(dir, 'report-output-file');
    writeFileSync(f, '');
    return ['--report-dir', reportRun(), '--output', f];
  }, expect: /^report: --output .*report-output-file is a file: pass --output DIR, the folder the report goes to$/ },
  { name: 'npm run report --history naming a folder', report: true, args: () => ['--report-dir', reportRun(), '--history', folder('history-folder', {})],
    expect: /^report: --history .*history-folder is a folder: pass --history FILE, the history file \(JSON lines\)$/ },
  { name: 'npm run report with a history file cut short', report: true, code: 0, args: () => {
    const h = join(dir, 'cut-history.jsonl');
    writeFileSync(h, '{"uuid":"a","name":"mesh-conformance","timestamp":1,"knownTestCaseIds":[],"testResults":{}}\n{"uuid":"b","name":"mesh-con');
    return ['--report-dir', reportRun(), '--history', h, '--output', join(dir, 'cut-history-report')];
  }, expect: /^report: warning: skipped 1 unreadable line\(s\) of the history .*cut-history\.jsonl \(cut short\?\); 1 earlier build\(s\) kept$/ },
  { name: 'npm run report before any run', report: true, args: () => ['--report-dir', folder('no-results', {})],
    expect: /^report: no Allure results in .*no-results\/allure-results: run `mesh-conformance run` first/ },
  { name: 'npm run report with an unknown argument', report: true, args: () => ['--out', 'x'],
    expect: /^report: unknown argument --out; usage: npm run report -- \[--report-dir DIR\] \[--history FILE\] \[--output DIR\]$/ },
  // ---- issue 19: values out of bounds, config files ----
  { name: 'a duration beyond 24h', args: () => ['run'], env: { MESH_CONFORMANCE_TIMEOUT_ROLLOUT: '100000m' },
    expect: /Invalid configuration: timeouts\.rollout must be a positive duration such as 90s, 2m or 1500 \(ms\), at most 24h \(got "100000m" from MESH_CONFORMANCE_TIMEOUT_ROLLOUT\)/ },
  { name: 'a metrics timeout beyond 24h', args: () => ['run', '--metrics-timeout', '25h'],
    expect: /Invalid configuration: metricsTimeout must be a positive duration such as 90s, 2m or 1500 \(ms\), at most 24h \(got "25h" from --metrics-timeout\)/ },
  { name: 'a TypeScript config file outside an ES module package', stdout: true, code: 0, args: () => ['config', '--config', join(folder('cjs-project', { 'package.json': '{"name":"x"}', 'mesh-conformance.config.ts': 'const target = await Promise.resolve(\'kind\' as const);\nexport default { target, context: \'kind-x\' };\n' }), 'mesh-conformance.config.ts')],
    expect: /^context: kind-x +# key context in .*cjs-project\/mesh-conformance\.config\.ts$/ },
  { name: 'a TypeScript config file whose top-level await never settles', withinMs: 40_000, args: () => ['config', '--config', join(folder('tla-project', { 'mesh-conformance.config.ts': 'await new Promise(() => undefined);\nexport default { target: \'kind\' };\n' }), 'mesh-conformance.config.ts')],
    expect: /config file .*tla-project\/mesh-conformance\.config\.ts did not finish loading within 10s \(a top-level await that never settles\?\): make its default export plain data, or use mesh-conformance\.config\.yaml/ },
  { name: 'a TypeScript config file that throws', args: () => ['config', '--config', join(folder('throwing-project', { 'mesh-conformance.config.ts': 'throw new Error(\'no cluster for you\');\nexport default {};\n' }), 'mesh-conformance.config.ts')],
    expect: /cannot load config file .*throwing-project\/mesh-conformance\.config\.ts: no cluster for you; fix it, or use mesh-conformance\.config\.yaml/ },
  { name: 'a config file that is not valid YAML', args: () => ['config', '--config', join(folder('bad-yaml', { 'mesh-conformance.config.yaml': 'target: [kind\n' }), 'mesh-conformance.config.yaml')],
    expect: /config file .*bad-yaml\/mesh-conformance\.config\.yaml is not valid YAML: / },
  { name: 'an unknown key in the config file', args: () => ['config', '--config', join(folder('unknown-key', { 'mesh-conformance.config.yaml': 'target: kind\ntimeout: 5m\n' }), 'mesh-conformance.config.yaml')],
    expect: /Invalid configuration: unknown key "timeout" in .*mesh-conformance\.config\.yaml; allowed keys: target, / },
  { name: 'a credential in the config file', args: () => ['config', '--config', join(folder('token-in-file', { 'mesh-conformance.config.yaml': 'prometheusToken: abc\n' }), 'mesh-conformance.config.yaml')],
    expect: /Invalid configuration: prometheusToken must not be written in mesh-conformance\.config\.yaml \(credentials do not belong in files that get committed\); set MESH_CONFORMANCE_PROMETHEUS_TOKEN instead/ },
  { name: 'two config files', args: () => ['config'], cwdFiles: { 'mesh-conformance.config.yaml': 'target: kind\n', 'mesh-conformance.config.json': '{}' },
    expect: /found mesh-conformance\.config\.json and mesh-conformance\.config\.yaml in .*: keep one, or choose one with --config FILE/ },
  { name: 'a config file that does not exist', args: () => ['run', '--config', join(dir, 'no-such.config.yaml')],
    expect: /config file .*no-such\.config\.yaml does not exist \(from --config\); pass an existing mesh-conformance\.config\.\{ts,json,yaml\} or drop the option/ },
  // ---- issue 19: option values ----
  { name: 'aks without a named context', args: () => ['run', '--target', 'aks', '--kubeconfig', sim.kubeconfig],
    expect: /target aks runs only against a context named explicitly: pass --context NAME/ },
  { name: 'a flavor with a real target', args: () => ['run', '--target', 'kind', '--flavor', 'aks'],
    expect: /Invalid configuration: flavor applies only to target local \(got flavor aks from --flavor with target kind\)/ },
  { name: '--namespaces out of range', args: () => ['run', '--namespaces', '0'], expect: /invalid --namespaces "0": pass a whole number from 1 to 50/ },
  { name: 'an ingress address that is not a host', args: () => ['run', '--ingress-address', 'http://gw example'],
    expect: /Invalid configuration: ingressAddress must be a host, host:port or http\(s\) URL such as localhost/ },
  { name: 'a Prometheus URL that is not http(s)', args: () => ['run', '--prometheus-url', 'ftp://prom.example'],
    expect: /Invalid configuration: prometheusUrl must be an http\(s\) URL such as http:\/\/prometheus\.example:9090/ },
  { name: 'an unknown cluster change', args: () => ['run', '--allow-cluster-change', 'everything'],
    expect: /Invalid configuration: allowClusterChanges must be one of metrics-collection, external-authorization, ingress-mtls \(got \["everything"\] from --allow-cluster-change\)/ },
  { name: 'ingress over mTLS asked for behind AGIC (HTTP-only)', args: () => ['run', '--flavor', 'aks', '--ingress', 'agic', '--allow-cluster-change', 'ingress-mtls'],
    expect: /^mesh-conformance: Invalid configuration: --allow-cluster-change ingress-mtls asks for the extended check ingress-mtls, which ingress agic \(--ingress\) cannot serve: AGIC works only with HTTP backends .*use Application Gateway for Containers \(ingress profile agc\) or ingress-nginx with mTLS \(ingress profile nginx\)$/ },
  { name: 'a run id that is not a label value', args: () => ['run'], env: { MESH_CONFORMANCE_RUN_ID: 'Not A Label!' },
    expect: /Invalid configuration: runId must be a valid label value \(letters, digits, -, \., at most 63\) \(got "Not A Label!" from MESH_CONFORMANCE_RUN_ID\)/ },
  { name: 'a run id already live in the cluster', args: async () => {
    await sim.client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { generateName: 'mesh-conformance-', labels: runLabels('st-taken-id'), annotations: { [heartbeatAnnotation]: new Date().toISOString() } } }, { budgetMs: 10_000 });
    return run();
  }, env: { MESH_CONFORMANCE_RUN_ID: 'st-taken-id' }, expect: /run id st-taken-id is in use by a live run \(namespace mesh-conformance-\w+, run still alive \(heartbeat .*\)\): unset MESH_CONFORMANCE_RUN_ID, or give each run its own id/ },
  { name: 'check with an unknown output format', args: () => ['check', '-o', 'yaml'], expect: /option '-o, --output <format>' argument 'yaml' is invalid\. Allowed choices are table, json/ },
  { name: 'sim with an empty token', args: () => ['sim', '--token', ''], expect: /--token must not be empty: pass the bearer token the simulated API server should accept, or omit --token for a random one/ },
  { name: 'check with a report folder below /proc', withinMs: 30_000, args: () => ['check', '--target', 'local'], env: { MESH_CONFORMANCE_REPORT_DIR: '/proc/mesh-conformance-reports' },
    expect: /cannot write the simulated cluster's files to \/proc\/mesh-conformance-reports\/simulator\/\S+ \(a folder cannot be created there\): set MESH_CONFORMANCE_REPORT_DIR \(or pass run --report-dir DIR\) to a directory you can write/ },
  { name: 'sim with a kubeconfig below /proc', withinMs: 30_000, args: () => ['sim', '--kubeconfig', '/proc/mesh-conformance/kubeconfig'],
    expect: /cannot write the kubeconfig \/proc\/mesh-conformance\/kubeconfig \(a folder cannot be created there\): pass --kubeconfig FILE in a directory you can write/ },
  { name: 'cleanup against a server that is not there', args: () => ['cleanup', '--kubeconfig', kubeconfigVariant('cleanup-refused', (d) => { d.clusters[0]!.cluster.server = 'https://127.0.0.1:1'; })],
    expect: /cannot reach the API server https:\/\/127\.0\.0\.1:1 \(context [^)]+\): check --kubeconfig\/--context and that the cluster is up/ },
  // Issue 19, F4: `cleanup --dry-run` behind a proxy that never answered was still alive at 600 s.
  { name: 'cleanup --dry-run through a proxy-url that never answers', withinMs: 30_000, env: { MESH_CONFORMANCE_TIMEOUT_APPLY: '2s' }, args: async () => {
    const p = await startConnectProxy({ hang: true });
    closers.push(() => p.close());
    return ['cleanup', '--dry-run', '--kubeconfig', kubeconfigVariant('cleanup-proxy-hang', (d) => { d.clusters[0]!.cluster['proxy-url'] = p.url; })];
  }, expect: /cannot reach the API server https:\/\/127\.0\.0\.1:\d+ through the proxy http:\/\/127\.0\.0\.1:\d+ \(context [^)]+\): check --kubeconfig\/--context, the proxy and that the cluster is up; .*no answer within 2s/ },
  { name: 'missing CRDs', destructive: true, args: async () => {
    await sim.client.delete({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: 'ingressbackends.policy.openservicemesh.io' }, { budgetMs: 10_000 });
    return run();
  }, expect: /ingressbackends\.policy\.openservicemesh\.io.*Hint: /, preflight: true },
  { name: 'OSM absent', destructive: true, args: async () => {
    for (const d of ['osm-controller', 'osm-injector', 'osm-bootstrap']) {
      await sim.client.delete({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'osm-system', name: d }, { budgetMs: 10_000 });
    }
    return run();
    // With no --mesh the CLI looks for every registered mesh's control plane before pre-flight, and names each one's install.
  }, expect: /^mesh-conformance: no service mesh found in the cluster \(context \S+; looked for Open Service Mesh \(OSM\) and Istio\): osm: install OSM: .*; istio: install Istio: / },
];

const stackFrame = /^\s+at .*(\(|\s)\S+:\d+:\d+\)?$/m;
const actionable = /\b(pass|set|use|choose|omit|check|fix|add|refresh|enable|create|install|run|Hint|must be|allowed|valid)\b/i;

for (const c of [...cases.filter((x) => !x.destructive), ...cases.filter((x) => x.destructive)]) {
  const code = c.code ?? 2;
  test(`bad input: ${c.name} → exit ${code}, ${code === 0 ? 'it works' : 'an actionable line'}, no stack trace`, async () => {
    const args = await c.args();
    const env = typeof c.env === 'function' ? c.env() : c.env ?? {};
    const cwd = c.cwdFiles ? folder(`cwd-${c.name.replace(/\W+/g, '-')}`, c.cwdFiles) : undefined;
    const withinMs = c.withinMs ?? 90_000;
    const r = await runCliToEnd(args, { env, timeoutMs: withinMs, ...(cwd ? { cwd } : {}), ...(c.report ? { script: zx } : {}), ...(c.uid !== undefined ? { uid: c.uid } : {}) });
    const stream = c.stdout ? r.stdout : r.stderr;
    const lines = stream.split('\n').filter((l) => l.trim() !== '');
    expect(r.code, `${c.report ? 'npm run report' : 'mesh-conformance'} ${args.join(' ')}\n${r.output.slice(-2000)}`).toBe(code);
    expect(r.output, 'no stack trace').not.toMatch(stackFrame);
    expect(r.durationMs, 'within its bound').toBeLessThan(withinMs);
    const line = lines.find((l) => c.expect.test(l));
    expect(line, `a ${c.stdout ? 'stdout' : 'stderr'} line matching ${c.expect}; output:\n${r.output.slice(-3000)}`).toBeTruthy();
    if (code !== 0) expect(line, 'the line says what to do').toMatch(actionable);
    console.log(`bad input: ${c.name}: exit ${r.code} in ${(r.durationMs / 1000).toFixed(1)}s: ${line ?? ''}`);
    if (c.preflight) {
      // The pre-flight report: a header, then one line per problem.
      expect(lines[0]).toMatch(/^mesh-conformance: pre-flight failed .*\d+ problems?, nothing was written to the cluster$/);
      expect(lines.slice(1).every((l) => l.startsWith('  - ['))).toBe(true);
    } else if (!c.stdout) {
      expect(lines, 'exactly one line on stderr').toHaveLength(1);
    }
    await c.after?.();
  });
}

test('docs/bad-input.md lists every case of this file, each with its exit code, and nothing else', () => {
  const doc = readFileSync(join(packageRoot, 'docs', 'bad-input.md'), 'utf8');
  // The cases table: `| # | bad input | exit | how | what is printed |` (the exit-code legend above it has two columns).
  const rows = doc.split('\n').filter((l) => /^\| \d+ \|/.test(l)).map((l) => l.split(/(?<!\\)\|/).map((cell) => cell.trim())).filter((r) => r.length >= 7);
  const documented = new Map(rows.map((r) => [r[2] ?? '', r[3] ?? '']));
  const missing = cases.filter((c) => !documented.has(c.name)).map((c) => c.name);
  const extra = [...documented.keys()].filter((n) => !cases.some((c) => c.name === n));
  const wrongCode = cases.filter((c) => documented.has(c.name) && documented.get(c.name) !== String(c.code ?? 2)).map((c) => `${c.name} (doc ${documented.get(c.name) ?? '?'}, test ${c.code ?? 2})`);
  expect(missing, 'cases missing from docs/bad-input.md').toEqual([]);
  expect(extra, 'rows of docs/bad-input.md without a case here').toEqual([]);
  expect(wrongCode, 'exit codes that differ').toEqual([]);
  expect(rows.length, 'at least 60 cases').toBeGreaterThanOrEqual(60);
});
