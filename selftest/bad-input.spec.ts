// Requirement (issue 7, bad input): every bad input in docs/bad-input.md gets an actionable error (one line; the
// pre-flight report gives one line per problem under a header line), exit code 2, and no stack trace.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import selfsigned from 'selfsigned';
import { parse, stringify } from 'yaml';
import type { TestSim } from './reliability-support.ts';
import { runCliToEnd, startTestSim } from './reliability-support.ts';

test.describe.configure({ mode: 'serial' });

const dir = join(process.env.MESH_CONFORMANCE_SELFTEST_REPORT_DIR ?? 'reports/selftest', 'bad-input');
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
  await sim?.stop();
});

interface BadInput {
  /** The row in docs/bad-input.md. */
  name: string;
  args: () => Promise<string[]> | string[];
  env?: Record<string, string>;
  /** The line that must name the problem and say what to do. */
  expect: RegExp;
  /** Reported by the pre-flight check (a header line, then one line per problem). */
  preflight?: boolean;
  /** Changes the cluster: runs after the others. */
  destructive?: boolean;
}

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
  test(`bad input: ${c.name} → exit 2, an actionable line, no stack trace`, async () => {
    const args = await c.args();
    const r = await runCliToEnd(args, { env: c.env ?? {}, timeoutMs: 90_000 });
    const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
    expect(r.code, `mesh-conformance ${args.join(' ')}\n${r.output.slice(-2000)}`).toBe(2);
    expect(r.output, 'no stack trace').not.toMatch(stackFrame);
    const line = lines.find((l) => c.expect.test(l));
    expect(line, `a stderr line matching ${c.expect}; stderr:\n${r.stderr}`).toBeTruthy();
    expect(line, 'the line says what to do').toMatch(actionable);
    console.log(`bad input: ${c.name}: ${line ?? ''}`);
    if (c.preflight) {
      // The pre-flight report: a header, then one line per problem.
      expect(lines[0]).toMatch(/^mesh-conformance: pre-flight failed .*\d+ problems?, nothing was written to the cluster$/);
      expect(lines.slice(1).every((l) => l.startsWith('  - ['))).toBe(true);
    } else {
      expect(lines, 'exactly one line on stderr').toHaveLength(1);
    }
  });
}
