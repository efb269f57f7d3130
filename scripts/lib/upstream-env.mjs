// What upstream-build does, as steps over a Runner (runner.mjs): build the upstream Kubernetes control plane
// (kube-apiserver, kube-controller-manager, kube-scheduler) and etcd from the Go module proxy into a cache folder
// outside the repository, keyed by the Kubernetes version, and reuse it while the pins are unchanged.
//
// The pins live in upstream/go.mod (k8s.io/kubernetes, with every k8s.io staging module replaced by its v0.X.Y
// release) and upstream/etcd/go.mod (go.etcd.io/etcd/server/v3). simulator/src/upstream/control-plane.ts finds the
// binaries through the same layout: <cache>/mesh-conformance/upstream/<k8s version>/bin/<name>.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import process from 'node:process';
import { join, resolve } from 'node:path';
import { fileURLToPath, URL } from 'node:url';
import { UsageError } from './script-main.mjs';

/** The repository's upstream/ folder (the Go modules with the pins). */
export const upstreamDir = resolve(fileURLToPath(new URL('../../upstream/', import.meta.url)));

export const controlPlaneBinaries = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];
export const allBinaries = [...controlPlaneBinaries, 'etcd'];

/** The files whose content decides whether cached binaries are still current (with the build flags). */
const stampInputs = [
  'go.mod', 'go.sum',
  ...controlPlaneBinaries.map((b) => `cmd/${b}/main.go`),
  'etcd/go.mod', 'etcd/go.sum', 'etcd/main.go',
];

/**
 * `<pin> vX.Y.Z` from a go.mod's require block.
 * @param {string} goMod the go.mod text
 * @param {string} module
 * @returns {string}
 */
export function requiredVersion(goMod, module) {
  const escaped = module.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const m = new RegExp(`^\\s*(?:require\\s+)?${escaped}\\s+(v\\S+)`, 'm').exec(goMod);
  if (!m?.[1]) throw new UsageError(`upstream: ${module} is not required in go.mod`);
  return m[1];
}

/**
 * The pinned versions, read from upstream/go.mod and upstream/etcd/go.mod.
 * @returns {{ kubernetes: string, etcd: string }}
 */
export function upstreamVersions(dir = upstreamDir) {
  /** @param {string} f */
  const read = (f) => readFileSync(join(dir, f), 'utf8');
  return {
    kubernetes: requiredVersion(read('go.mod'), 'k8s.io/kubernetes'),
    etcd: requiredVersion(read('etcd/go.mod'), 'go.etcd.io/etcd/server/v3'),
  };
}

/** `${XDG_CACHE_HOME:-~/.cache}/mesh-conformance/upstream` (MESH_UPSTREAM_CACHE overrides it). */
export function upstreamCacheRoot(env = process.env) {
  if (env.MESH_UPSTREAM_CACHE) return resolve(env.MESH_UPSTREAM_CACHE);
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'mesh-conformance', 'upstream');
}

/**
 * `-ldflags` as upstream's hack/lib/version.sh sets them, so `/version` and `--version` report the pinned release
 * (without them: v0.0.0-master+$Format:%H$). The module zip is the unmodified release, hence gitTreeState=clean;
 * the proxy does not tell the commit, so gitCommit stays empty.
 * @param {string} kubernetesVersion
 * @param {string} [buildDate]
 * @returns {string[]}
 */
export function versionLdflags(kubernetesVersion, buildDate) {
  const m = /^v(\d+)\.(\d+)\./.exec(kubernetesVersion);
  if (!m) throw new UsageError(`upstream: cannot read major.minor from ${kubernetesVersion}`);
  const values = { gitVersion: kubernetesVersion, gitMajor: m[1], gitMinor: m[2], gitTreeState: 'clean', gitCommit: '', ...(buildDate ? { buildDate } : {}) };
  return ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']
    .flatMap((pkg) => Object.entries(values).map(([k, v]) => `-X ${pkg}.${k}=${v}`));
}

/** Lean release binaries: no DWARF or symbol table, no local paths, static (as upstream builds them). */
export const baseLdflags = ['-s', '-w'];
const buildFlags = ['-trimpath', '-buildvcs=false'];

/**
 * The hash of the pins, the entry points and the flags: cached binaries with another stamp are rebuilt.
 * @param {string} dir
 * @param {string[]} flags
 * @returns {string}
 */
export function stampOf(dir, flags) {
  const h = createHash('sha256');
  for (const f of stampInputs) {
    const p = join(dir, f);
    h.update(`${f}\0${existsSync(p) ? readFileSync(p) : ''}\0`);
  }
  h.update(flags.join('\0'));
  return h.digest('hex');
}

/**
 * Builds the binaries unless current ones are cached. Returns where they are.
 * @param {import('./runner.mjs').Runner} r
 * @param {{ dir?: string, cacheRoot?: string, force?: boolean, hasGo?: () => Promise<boolean> }} [opts]
 */
export async function upstreamBuild(r, opts = {}) {
  const dir = opts.dir ?? upstreamDir;
  const v = upstreamVersions(dir);
  const root = join(opts.cacheRoot ?? upstreamCacheRoot(), v.kubernetes);
  const bin = join(root, 'bin');
  const stampFile = join(root, 'stamp');

  // The stamp leaves out the build date, so checking it needs no Go.
  const stamp = stampOf(dir, [v.kubernetes, v.etcd, 'CGO_ENABLED=0', ...buildFlags, ...baseLdflags, ...versionLdflags(v.kubernetes)]);
  const current = existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() === stamp && allBinaries.every((b) => existsSync(join(bin, b)));

  if (current && !opts.force) {
    r.say(`up to date: Kubernetes ${v.kubernetes} and etcd ${v.etcd} in ${bin} (stamp ${stamp.slice(0, 12)}; --force rebuilds)`);
    return { bin, versions: v, built: false };
  }
  if (!r.dryRun && opts.hasGo && !(await opts.hasGo())) {
    throw new UsageError('go not found on PATH: install Go >= 1.25 (https://go.dev/dl/) to build the upstream control plane');
  }
  // The release time of the pinned module (go list reads it from the module cache or the proxy) is the build date:
  // the same pins give the same binaries.
  const info = await r.query('go', ['list', '-C', dir, '-m', '-json', 'k8s.io/kubernetes']);
  const released = info.ok ? /"Time":\s*"([^"]+)"/.exec(info.stdout)?.[1]?.replace(/\.\d+Z$/, 'Z') : undefined;
  const ldflags = [...baseLdflags, ...versionLdflags(v.kubernetes, released ?? (r.dryRun ? '<release-time>' : undefined))];
  r.say(`building Kubernetes ${v.kubernetes} (${controlPlaneBinaries.join(', ')}) and etcd ${v.etcd} into ${bin}`);
  if (!r.dryRun) {
    rmSync(stampFile, { force: true });
    mkdirSync(bin, { recursive: true });
  }
  // nice: a cold build keeps both cores busy for minutes; CGO_ENABLED=0: static binaries, as upstream releases them;
  // -buildvcs=false: the binaries do not depend on this repository's git state (nor need git).
  /** @param {string} moduleDir @param {string[]} args */
  const go = (moduleDir, args) => r.run('env', ['CGO_ENABLED=0', 'nice', '-n', '10', 'go', 'build', '-C', moduleDir, ...buildFlags, ...args]);
  await go(dir, ['-ldflags', ldflags.join(' '), '-o', `${bin}/`, ...controlPlaneBinaries.map((b) => `./cmd/${b}`)]);
  await go(join(dir, 'etcd'), ['-ldflags', baseLdflags.join(' '), '-o', join(bin, 'etcd'), '.']);
  if (r.dryRun) r.say(`(would write ${stampFile})`);
  else writeFileSync(stampFile, `${stamp}\n`);
  if (!r.dryRun) r.say(`built: ${allBinaries.map((b) => join(bin, b)).join(' ')}`);
  return { bin, versions: v, built: true };
}
