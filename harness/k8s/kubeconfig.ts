/**
 * Loading a kubeconfig as kubectl does, once per process, with a one-line error for every way it can be unusable.
 *
 * - A setting may list several files (`KUBECONFIG=a:b`): they are merged as kubectl merges them (the first file to
 *   define a cluster, user or context name wins, as does the first `current-context`); files that do not exist are
 *   skipped, unless none does.
 * - Each file is read once per process (`--kubeconfig <(…)` is a pipe that can be read only once); the CLI hands
 *   the selected context, its cluster and its user (`kubeconfigSeed`) to the test runner in its environment, so the
 *   runner and its workers never read the files again.
 * - What client-node gets wrong or leaves to a late, misleading error is checked up front: an empty file, a context
 *   whose cluster or user is not defined (client-node then silently drops the CA), a server without a scheme,
 *   unreadable certificate-authority, client-certificate, client-key and tokenFile files (client-node ignores
 *   `tokenFile`; it is honoured here), an unsupported proxy-url.
 * - Exec plugins run bounded (exec-credential.ts); without a proxy-url, HTTPS_PROXY/NO_PROXY apply (harness/http/proxy.ts).
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, resolve } from 'node:path';
import { clientNode } from './client-node.ts';
import type { KubeConfig } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { proxyForUrl } from '../http/proxy.ts';
import { redactUrl } from '../report/redact.ts';
import { BoundedExecAuthenticator, boundedExecProvider } from './exec-credential.ts';
import type { ExecConfig } from './exec-credential.ts';

const defaultFix = 'fix it or pass --kubeconfig FILE and --context NAME (see `kubectl config get-contexts`)';

/**
 * The kubeconfig cannot be used. The message is one line: `unusable kubeconfig <where>: <reason>; <what to do>`;
 * `unreadable` marks a kubeconfig that could not be read at all (missing, permissions).
 */
export class KubeconfigError extends Error {
  override readonly name = 'KubeconfigError';
  constructor(readonly where: string, readonly reason: string, readonly fix: string = defaultFix, readonly unreadable = false) {
    super(unreadable ? `cannot read kubeconfig ${where}${reason ? ` (${reason})` : ''}: ${fix}` : `unusable kubeconfig ${where}: ${reason}; ${fix}`);
  }
}

/** The variable through which the CLI hands the runner the kubeconfig it read (the selected context only). */
export const kubeconfigSeedEnv = 'MESH_CONFORMANCE_KUBECONFIG_DATA';

type Entry = Record<string, unknown> & { name: string };
type Doc = Record<string, unknown>;

/** The files of a kubeconfig setting: `a:b` lists two, as KUBECONFIG does. */
export function kubeconfigFiles(spec: string): string[] {
  return spec.split(delimiter).map((s) => s.trim()).filter(Boolean);
}

/** A kubeconfig setting with each of its files made absolute against `cwd`. */
export function resolveKubeconfigSpec(cwd: string, spec: string): string {
  return kubeconfigFiles(spec).map((f) => resolve(cwd, f)).join(delimiter);
}

const readFix = 'pass --kubeconfig FILE with a readable kubeconfig, or set KUBECONFIG';

/** Texts read, by path: a regular file is read again when it changed; anything else (a pipe) only once. */
const texts = new Map<string, { version: string | undefined; text: string }>();

function versionOf(file: string): string | undefined {
  try {
    const st = statSync(file);
    return st.isFile() ? `${st.ino}:${st.size}:${st.mtimeMs}` : undefined;
  } catch {
    return undefined;
  }
}

/** A file's text, read once per process (again only when a regular file changed); undefined when it does not exist. */
function readOnce(file: string): string | undefined {
  const known = texts.get(file);
  const version = versionOf(file);
  if (known && (known.version === undefined || known.version === version)) return known.text;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new KubeconfigError(file, code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : code ?? String(err), readFix, true);
  }
  texts.set(file, { version, text });
  return text;
}

function isRecord(v: unknown): v is Doc {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function entries(doc: Doc, key: string, file: string): Entry[] {
  const list = doc[key];
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new KubeconfigError(file, `${key} is not a list`);
  return list.map((e: unknown, i) => {
    if (!isRecord(e) || typeof e.name !== 'string' || !e.name) throw new KubeconfigError(file, `${key}[${i}] has no name`);
    return e as Entry;
  });
}

const filePath = (base: string, p: unknown): unknown => (typeof p === 'string' && p !== '' && !isAbsolute(p) ? resolve(base, p) : p);

/** Relative paths inside a file are relative to that file, as kubectl takes them. */
function absolutePaths(doc: Doc, file: string): void {
  const base = dirname(file);
  for (const c of entries(doc, 'clusters', file)) {
    if (isRecord(c.cluster)) c.cluster['certificate-authority'] = filePath(base, c.cluster['certificate-authority']);
  }
  for (const u of entries(doc, 'users', file)) {
    if (!isRecord(u.user)) continue;
    for (const k of ['client-certificate', 'client-key', 'tokenFile', 'token-file']) u.user[k] = filePath(base, u.user[k]);
    const exec = u.user.exec;
    if (isRecord(exec) && typeof exec.command === 'string' && exec.command.includes('/')) exec.command = filePath(base, exec.command);
  }
}

function parseFile(file: string, text: string): Doc {
  let doc: unknown;
  try {
    doc = parseYaml(text, { prettyErrors: false });
  } catch (err) {
    throw new KubeconfigError(file, `not valid YAML: ${(err instanceof Error ? err.message : String(err)).split('\n')[0] ?? ''}`);
  }
  if (doc === null || doc === undefined) return {};
  if (!isRecord(doc)) throw new KubeconfigError(file, 'not a kubeconfig (a YAML mapping with clusters, users and contexts)');
  absolutePaths(doc, file);
  return doc;
}

/** Merges the files as kubectl does: the first definition of a name wins, and the first current-context. */
function mergeFiles(spec: string): { doc: Doc; files: string[] } {
  const files = kubeconfigFiles(spec);
  if (!files.length) throw new KubeconfigError('(none given)', '', readFix, true);
  const merged = { clusters: new Map<string, Entry>(), users: new Map<string, Entry>(), contexts: new Map<string, Entry>() };
  let current: string | undefined;
  const read: string[] = [];
  for (const file of files) {
    const text = readOnce(file);
    if (text === undefined) continue;
    read.push(file);
    const doc = parseFile(file, text);
    for (const key of ['clusters', 'users', 'contexts'] as const) {
      for (const e of entries(doc, key, file)) if (!merged[key].has(e.name)) merged[key].set(e.name, e);
    }
    if (current === undefined && typeof doc['current-context'] === 'string' && doc['current-context'] !== '') current = doc['current-context'];
  }
  if (!read.length) {
    throw new KubeconfigError(spec, files.length > 1 ? 'none of these files exists' : '', readFix, true);
  }
  return {
    doc: { clusters: [...merged.clusters.values()], users: [...merged.users.values()], contexts: [...merged.contexts.values()], ...(current ? { 'current-context': current } : {}) },
    files: read,
  };
}

const names = (list: Entry[]): string => list.map((e) => e.name).join(', ') || 'none';

function readable(where: string, path: unknown, what: string, fix: string): void {
  if (typeof path !== 'string' || path === '') return;
  try {
    accessSync(path, constants.R_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new KubeconfigError(where, `${what} ${path} cannot be read (${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code})`, fix);
  }
}

/** The selected context with its cluster and user only (kubectl config view --minify), every field checked. */
function minify(doc: Doc, where: string, context: string | undefined): { doc: Doc; context: string } {
  const clusters = doc.clusters as Entry[];
  const users = doc.users as Entry[];
  const contexts = doc.contexts as Entry[];
  if (!clusters.length && !users.length && !contexts.length) {
    throw new KubeconfigError(where, 'it is empty (no clusters, users or contexts)', 'write one with `kind export kubeconfig --name <cluster>` or `az aks get-credentials`, or pass --kubeconfig FILE');
  }
  const name = context ?? (doc['current-context'] as string | undefined);
  if (!name) throw new KubeconfigError(where, 'it has no current-context', `pass --context NAME (contexts: ${names(contexts)})`);
  const ctx = contexts.find((c) => c.name === name);
  if (!ctx) throw new KubeconfigError(where, `context "${name}" not found in ${where} (contexts: ${names(contexts)})`);
  const body = isRecord(ctx.context) ? ctx.context : {};
  const clusterName = typeof body.cluster === 'string' ? body.cluster : '';
  const cluster = clusters.find((c) => c.name === clusterName);
  if (!cluster) throw new KubeconfigError(where, `context "${name}" names cluster "${clusterName}", which is not defined (clusters: ${names(clusters)})`, 'fix the context\'s cluster, or refresh the kubeconfig (kind export kubeconfig, az aks get-credentials)');
  const userName = typeof body.user === 'string' && body.user !== '' ? body.user : undefined;
  const user = userName === undefined ? { name: '', user: {} } : users.find((u) => u.name === userName);
  if (!user) throw new KubeconfigError(where, `context "${name}" names user "${userName ?? ''}", which is not defined (users: ${names(users)})`, 'fix the context\'s user, or refresh the kubeconfig (kind export kubeconfig, az aks get-credentials)');

  const c = isRecord(cluster.cluster) ? cluster.cluster : {};
  const server = typeof c.server === 'string' ? c.server.trim() : '';
  if (!server) throw new KubeconfigError(where, `cluster "${cluster.name}" has no server`, 'set its server: https://HOST:PORT, or refresh the kubeconfig');
  let url: URL | undefined;
  try {
    url = new URL(server);
  } catch {
    url = undefined;
  }
  if (!url || !/^https?:$/.test(url.protocol) || !url.hostname) {
    throw new KubeconfigError(where, `cluster "${cluster.name}" has server "${redactUrl(server)}", which is not an http(s) URL`, `fix it with the scheme, e.g. server: https://${redactUrl(server).replace(/^[a-z]*:\/\//i, '')}`);
  }
  readable(where, c['certificate-authority'], `cluster "${cluster.name}"'s certificate-authority`, 'fix the path, use certificate-authority-data, or refresh the kubeconfig');
  const proxy = c['proxy-url'];
  if (proxy !== undefined && proxy !== null && proxy !== '') {
    if (typeof proxy !== 'string' || !/^(https?|socks5?h?):\/\/[^/]/i.test(proxy)) {
      throw new KubeconfigError(where, `cluster "${cluster.name}" has proxy-url "${typeof proxy === 'string' ? redactUrl(proxy) : JSON.stringify(proxy)}", which is not an http, https or socks5 URL`, 'fix proxy-url, e.g. http://proxy.example:3128');
    }
  }
  const u = isRecord(user.user) ? user.user : {};
  const userFix = 'fix the path, or refresh the kubeconfig (kind export kubeconfig, az aks get-credentials)';
  readable(where, u['client-certificate'], `user "${user.name}"'s client-certificate`, userFix);
  readable(where, u['client-key'], `user "${user.name}"'s client-key`, userFix);
  readable(where, u.tokenFile, `user "${user.name}"'s tokenFile`, 'point tokenFile at a readable token file, or refresh the kubeconfig');
  readable(where, u['token-file'], `user "${user.name}"'s token-file`, 'point token-file at a readable token file, or refresh the kubeconfig');
  if (isRecord(u.exec) && (typeof u.exec.command !== 'string' || u.exec.command === '')) {
    throw new KubeconfigError(where, `user "${user.name}" has an exec block without a command`, 'fix users[].user.exec, or refresh the kubeconfig');
  }
  return {
    context: name,
    doc: {
      apiVersion: 'v1', kind: 'Config',
      clusters: [cluster],
      users: [{ name: user.name || 'anonymous', user: u }],
      contexts: [{ name, context: { ...body, user: user.name || 'anonymous' } }],
      'current-context': name,
    },
  };
}

/** The selected context of a kubeconfig setting, minified: what the CLI hands the runner (`kubeconfigSeed`). */
export interface ResolvedKubeconfig {
  /** The setting as given (`a:b`, a path, `/dev/fd/63`). */
  spec: string;
  context: string;
  doc: Doc;
}

interface Seed { spec: string; context: string; doc: Doc }

function fromSeed(spec: string, context: string | undefined, env: NodeJS.ProcessEnv): ResolvedKubeconfig | undefined {
  const raw = env[kubeconfigSeedEnv];
  if (!raw) return undefined;
  try {
    const seed = JSON.parse(raw) as Seed;
    if (seed.spec === spec && (context === undefined || context === seed.context) && isRecord(seed.doc)) return seed;
  } catch {
    // not ours: read the files
  }
  return undefined;
}

/** Reads (once) and merges a kubeconfig setting and selects the context; every problem is a `KubeconfigError`. */
export function resolveKubeconfig(spec: string, context?: string, env: NodeJS.ProcessEnv = process.env): ResolvedKubeconfig {
  const seeded = fromSeed(spec, context, env);
  if (seeded) return seeded;
  const { doc, files } = mergeFiles(spec);
  const where = files.length === 1 ? files[0] ?? spec : files.join(delimiter);
  const min = minify(doc, where, context);
  return { spec, context: min.context, doc: min.doc };
}

/** The value of `kubeconfigSeedEnv` for a resolved kubeconfig. */
export function kubeconfigSeed(k: ResolvedKubeconfig): string {
  return JSON.stringify({ spec: k.spec, context: k.context, doc: k.doc } satisfies Seed);
}

/**
 * A client-node KubeConfig for the resolved context: tokenFile honoured, the exec plugin bounded by `budgetMs`,
 * HTTPS_PROXY/NO_PROXY applied when the cluster names no proxy-url.
 */
export function toKubeConfig(k: ResolvedKubeconfig, opts: { budgetMs: number; env?: NodeJS.ProcessEnv }): KubeConfig {
  const doc = structuredClone(k.doc);
  const cluster = (doc.clusters as Entry[])[0];
  const userEntry = (doc.users as Entry[])[0];
  const c = cluster && isRecord(cluster.cluster) ? cluster.cluster : {};
  if (!c['proxy-url'] && typeof c.server === 'string') {
    const proxy = proxyForUrl(c.server, opts.env ?? process.env);
    if (proxy) c['proxy-url'] = proxy;
  }
  const execs = new Map<string, ExecConfig>();
  if (userEntry && isRecord(userEntry.user)) {
    const u = userEntry.user;
    if (isRecord(u.exec)) {
      execs.set(userEntry.name, u.exec as unknown as ExecConfig);
      delete u.exec;
      u['auth-provider'] = { name: boundedExecProvider, config: {} };
    } else if (typeof u.tokenFile === 'string' && !u.token && !u['auth-provider']) {
      // client-node reads `token-file` only; kubectl's key is tokenFile (re-read as the token rotates).
      u['auth-provider'] = { name: 'tokenFile', config: { tokenFile: u.tokenFile } };
    }
  }
  const kc = new (clientNode().KubeConfig)();
  kc.loadFromString(JSON.stringify(doc));
  if (execs.size) kc.addAuthenticator(new BoundedExecAuthenticator(execs, opts.budgetMs));
  return kc;
}
