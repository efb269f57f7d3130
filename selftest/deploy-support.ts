/**
 * What the deploy/ self-tests share: a simulated cluster with its API request log (`mesh-conformance sim
 * --request-log`), a real kubectl of the simulator's tested minor version, the shipped manifests, and an RBAC
 * evaluator that judges every request of the log against the shipped roles (the simulator stores RBAC objects but does
 * not evaluate them, so the self-test does).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { KubeClient } from '../harness/k8s/kube-client.ts';
import { parseReadyLine } from '../cli/simulator-process.ts';
import type { RequestLogEntry } from './conformance-run.ts';
import { packageRoot, startCli } from './reliability-support.ts';
import type { CliProcess } from './reliability-support.ts';

const run = promisify(execFile);

/** kubectl 1.32 (the simulator's README walkthroughs use it), next to the `kubectl` on PATH; else that one. */
export function kubectlBinary(): string {
  const onPath = ['/usr/local/bin/kubectl', '/usr/bin/kubectl'].find((p) => existsSync(p)) ?? 'kubectl';
  try {
    const pinned = join(dirname(realpathSync(onPath)), 'kubectl.1.32');
    if (existsSync(pinned)) return pinned;
  } catch { /* not a file */ }
  return onPath;
}

/** Runs kubectl against a kubeconfig; resolves with its output whatever the exit code. */
export async function kubectl(kubeconfig: string, args: string[], timeoutMs = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(kubectlBinary(), ['--kubeconfig', kubeconfig, ...args], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string; message?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? e.message ?? '' };
  }
}

/** A simulated cluster with its request log, started with `mesh-conformance sim`. */
export interface LoggedSim {
  kubeconfig: string;
  context: string;
  server: string;
  requestLog: string;
  client: KubeClient;
  process: CliProcess;
  requests(): RequestLogEntry[];
  stop(): Promise<void>;
}

export async function startLoggedSim(dir: string, opts: { faults?: string[]; flavor?: string } = {}): Promise<LoggedSim> {
  mkdirSync(dir, { recursive: true });
  const kubeconfig = resolve(dir, 'kubeconfig');
  const requestLog = resolve(dir, 'requests.jsonl');
  const proc = startCli(['sim', '--kubeconfig', kubeconfig, '--flavor', opts.flavor ?? 'kind', '--request-log', requestLog, ...(opts.faults ?? []).flatMap((f) => ['--fault', f])]);
  const ready = parseReadyLine(await proc.waitForLine(/^simulator ready /, 90_000));
  return {
    kubeconfig, requestLog, process: proc,
    context: ready?.context ?? '',
    server: ready?.server ?? '',
    client: KubeClient.connect({ kubeconfig }),
    requests: () => (existsSync(requestLog) ? readFileSync(requestLog, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as RequestLogEntry) : []),
    async stop() {
      if (proc.child.exitCode === null) proc.child.kill('SIGINT');
      await proc.ended;
    },
  };
}

/** A manifest of deploy/ as parsed objects. */
export type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown };

export function deployManifests(file: string): Manifest[] {
  return parseAllDocuments(readFileSync(join(packageRoot, 'deploy', file), 'utf8')).map((d) => d.toJS() as Manifest).filter(Boolean);
}

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };

/** What one API request asks for, in RBAC terms; undefined for non-resource URLs. */
export function requestAttributes(e: RequestLogEntry): { verb: string; group: string; resource: string; namespace: string | undefined } | undefined {
  const path = e.path.split('?')[0] ?? '';
  const m = /^\/(?:api\/v1|apis\/([^/]+)\/[^/]+)(\/.*)?$/.exec(path);
  if (!m) return undefined;
  const group = m[1] ?? '';
  const parts = (m[2] ?? '').split('/').filter(Boolean);
  if (!parts.length) return undefined; // discovery
  let namespace: string | undefined;
  if (parts[0] === 'namespaces' && parts.length >= 3) {
    namespace = parts[1];
    parts.splice(0, 2);
  }
  const [resource = '', name, sub] = parts;
  // kubectl and client-node watch with ?watch=true on the collection: the log says watch.
  return { verb: e.verb, group, resource: name !== undefined && sub ? `${resource}/${sub}` : resource, namespace: resource === 'namespaces' ? undefined : namespace };
}

/**
 * The requests the shipped roles do not allow: a ClusterRoleBinding grants its role everywhere, a RoleBinding its role
 * in its namespace. Discovery, /version and SelfSubjectAccessReviews are allowed to every authenticated user
 * (system:discovery, system:public-info-viewer, system:basic-user), as on a real cluster.
 */
export function deniedRequests(requests: RequestLogEntry[], manifests: Manifest[], subject: { name: string; namespace: string }): string[] {
  const roles = new Map(manifests.filter((m) => m.kind === 'ClusterRole').map((m) => [m.metadata.name, (m.rules as Rule[] | undefined) ?? []]));
  const bound = (m: Manifest): boolean => ((m.subjects as { kind: string; name: string; namespace?: string }[] | undefined) ?? []).some((s) => s.kind === 'ServiceAccount' && s.name === subject.name && s.namespace === subject.namespace);
  const clusterWide = manifests.filter((m) => m.kind === 'ClusterRoleBinding' && bound(m)).flatMap((m) => roles.get((m.roleRef as { name: string }).name) ?? []);
  const perNamespace = manifests.filter((m) => m.kind === 'RoleBinding' && bound(m)).map((m) => ({ namespace: m.metadata.namespace, rules: roles.get((m.roleRef as { name: string }).name) ?? [] }));
  const allows = (rules: Rule[], a: { verb: string; group: string; resource: string }): boolean =>
    rules.some((r) => r.apiGroups.includes(a.group) && r.resources.includes(a.resource) && r.verbs.includes(a.verb));
  const denied = new Set<string>();
  for (const e of requests) {
    const a = requestAttributes(e);
    if (!a) continue;
    if (a.group === 'authorization.k8s.io' && a.resource === 'selfsubjectaccessreviews') continue;
    const ok = allows(clusterWide, a) || perNamespace.some((b) => b.namespace === a.namespace && allows(b.rules, a));
    if (!ok) denied.add(`${a.verb} ${a.resource}${a.group ? `.${a.group}` : ''}${a.namespace ? ` in ${a.namespace}` : ''} (${e.method} ${e.path.split('?')[0] ?? ''})`);
  }
  return [...denied];
}
