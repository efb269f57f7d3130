// What upstream-build does for Istio, as steps over a Runner (runner.mjs): build istiod (`pilot-discovery`) and
// `istioctl` (which renders Istio's own charts: `istioctl manifest generate`) from the Go module proxy into
// ${XDG_CACHE_HOME:-~/.cache}/mesh-conformance/upstream/istio-<version>/bin, and reuse them while the pins are
// unchanged. The pins live in upstream/istio/go.mod (a module of its own, so that Istio's dependency versions do not
// fight the Kubernetes ones in upstream/go.mod).
//
// Why the build is not a plain `go build istio.io/istio/...` (upstream/istio/README.md has the details): the proxy
// here serves istio.io/istio only as pseudo-versions, and some of the pseudo-versions it requires not at all. go.mod
// replaces those with the nearest published releases, except github.com/agentgateway/agentgateway/api, which the
// proxy does not serve in any version. It is needed only by pilot/pkg/config/kube/agentgateway (istiod's
// agentgateway controller, off unless PILOT_ENABLE_AGENTGATEWAY=true). The module cache is read-only and `-overlay`
// may not replace files in it, so the build copies the module (from `go mod download`, i.e. the proxy's zip) into
// the cache folder, swaps that one package for upstream/istio/agentgateway-stub, and points istio.io/istio at the
// copy through a generated go.mod (`-modfile`), leaving upstream/istio/go.mod as committed.
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from './script-main.mjs';
import { baseLdflags, requiredVersion, upstreamCacheRoot, upstreamDir } from './upstream-env.mjs';

/** The repository's upstream/istio/ folder. */
export const istioModuleDir = join(upstreamDir, 'istio');
export const istioBinaries = ['pilot-discovery', 'istioctl'];
/** The packages of the binaries, in istioBinaries' order. */
const packages = ['istio.io/istio/pilot/cmd/pilot-discovery', 'istio.io/istio/istioctl/cmd/istioctl'];
/** The package the build replaces (relative to the module root) and the file that replaces it. */
const stubbedPackage = 'pilot/pkg/config/kube/agentgateway';
const stubFile = 'agentgateway-stub/agentgateway.go';
const stampInputs = ['go.mod', 'go.sum', stubFile, 'agentgateway-api/go.mod'];
const buildFlags = ['-trimpath', '-buildvcs=false'];

/**
 * The pinned istio.io/istio version (a pseudo-version) from upstream/istio/go.mod.
 * @returns {string}
 */
export function istioVersion(dir = istioModuleDir) {
  return requiredVersion(readFileSync(join(dir, 'go.mod'), 'utf8'), 'istio.io/istio');
}

/** Where the binaries of a pinned version live (simulator/src/upstream/istiod.ts reads the same layout). */
export function istioBinDir(version = istioVersion(), cacheRoot = upstreamCacheRoot()) {
  return join(cacheRoot, `istio-${version}`, 'bin');
}

/**
 * `-ldflags -X` for istio.io/istio/pkg/version, as Istio's release build sets them (without them `version` says
 * "unknown"). The release line is the module's VERSION file (e.g. 1.30), the revision the pseudo-version's commit.
 * @param {string} version the pseudo-version
 * @param {string} line the VERSION file's content
 * @returns {string[]}
 */
export function istioVersionLdflags(version, line) {
  const commit = /-([0-9a-f]{12})$/.exec(version)?.[1] ?? 'unknown';
  const values = { buildVersion: `${line.trim()}-dev+${commit}`, buildGitRevision: commit, buildStatus: 'Clean', buildTag: version };
  return Object.entries(values).map(([k, v]) => `-X istio.io/istio/pkg/version.${k}=${v}`);
}

/**
 * Builds pilot-discovery and istioctl unless current ones are cached. Returns where they are.
 * @param {import('./runner.mjs').Runner} r
 * @param {{ dir?: string, cacheRoot?: string, force?: boolean, hasGo?: () => Promise<boolean> }} [opts]
 */
export async function istioBuild(r, opts = {}) {
  const dir = opts.dir ?? istioModuleDir;
  const version = istioVersion(dir);
  const root = join(opts.cacheRoot ?? upstreamCacheRoot(), `istio-${version}`);
  const bin = join(root, 'bin');
  const stampFile = join(root, 'stamp');
  const h = createHash('sha256');
  for (const f of stampInputs) {
    const p = join(dir, f);
    h.update(`${f}\0${existsSync(p) ? readFileSync(p) : ''}\0`);
  }
  h.update([version, 'CGO_ENABLED=0', ...buildFlags, ...baseLdflags].join('\0'));
  const stamp = h.digest('hex');
  const current = existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() === stamp && istioBinaries.every((b) => existsSync(join(bin, b)));
  if (current && !opts.force) {
    r.say(`up to date: Istio ${version} (${istioBinaries.join(', ')}) in ${bin} (stamp ${stamp.slice(0, 12)}; --force rebuilds)`);
    return { bin, version, built: false };
  }
  if (!r.dryRun && opts.hasGo && !(await opts.hasGo())) {
    throw new UsageError('go not found on PATH: install Go >= 1.25 (https://go.dev/dl/) to build istiod');
  }
  r.say(`building Istio ${version} (${istioBinaries.join(', ')}) into ${bin}`);

  // The module as the proxy serves it (go.sum checks it), then a writable copy with the one package swapped.
  const downloaded = await r.query('go', ['mod', 'download', '-C', dir, '-json', 'istio.io/istio']);
  const moduleDir = r.dryRun ? '<GOMODCACHE>/istio.io/istio@' + version : /"Dir":\s*"([^"]+)"/.exec(downloaded.stdout)?.[1];
  if (!moduleDir) throw new UsageError(`go mod download istio.io/istio@${version} failed: ${downloaded.stderr.trim().split('\n').pop() ?? ''}`);
  const src = join(root, 'src');
  const modfile = join(root, 'go.mod');
  const line = r.dryRun ? '1.x' : readFileSync(join(moduleDir, 'VERSION'), 'utf8');
  if (r.dryRun) {
    r.say(`(would copy ${moduleDir} to ${src}, replace ${stubbedPackage} with ${join(dir, stubFile)}, write ${modfile})`);
  } else {
    rmSync(stampFile, { force: true });
    rmSync(src, { recursive: true, force: true });
    mkdirSync(bin, { recursive: true });
    cpSync(moduleDir, src, { recursive: true });
    chmodWritable(src);
    const pkg = join(src, stubbedPackage);
    for (const f of readdirSync(pkg)) if (f.endsWith('.go')) rmSync(join(pkg, f));
    cpSync(join(dir, stubFile), join(pkg, 'agentgateway_stub.go'));
    const goMod = readFileSync(join(dir, 'go.mod'), 'utf8');
    writeFileSync(modfile, `${goMod}\nreplace istio.io/istio => ${src}\n`);
    cpSync(join(dir, 'go.sum'), join(root, 'go.sum'));
  }
  const ldflags = [...baseLdflags, ...istioVersionLdflags(version, line)];
  // nice, CGO_ENABLED=0, -trimpath, -buildvcs=false: as for the Kubernetes binaries (upstream-env.mjs).
  await r.run('env', ['CGO_ENABLED=0', 'nice', '-n', '10', 'go', 'build', '-C', dir, `-modfile=${modfile}`, ...buildFlags,
    '-ldflags', ldflags.join(' '), '-o', `${bin}/`, ...packages]);
  if (r.dryRun) r.say(`(would write ${stampFile})`);
  else {
    writeFileSync(stampFile, `${stamp}\n`);
    r.say(`built: ${istioBinaries.map((b) => join(bin, b)).join(' ')}`);
  }
  return { bin, version, built: true };
}

/**
 * The module cache's files are read-only; the copy must be removable and patchable.
 * @param {string} path
 */
function chmodWritable(path) {
  chmodSync(path, 0o755);
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const p = join(path, entry.name);
    if (entry.isDirectory()) chmodWritable(p);
    else chmodSync(p, 0o644);
  }
}
