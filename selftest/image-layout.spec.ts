// The container image cannot be built on this machine (no Docker daemon), so this self-test proves the next best thing:
// the file set the Dockerfile's final stage copies (read from the Dockerfile itself), with the production dependencies
// minus tsx and esbuild as its deps stage leaves them, runs a real conformance run against a simulated cluster with
// plain Node through the image's ENTRYPOINT (the esbuild bundle), from a working directory outside the app, as a
// non-root user would. What it cannot prove: the base image (node:22-alpine, musl) and the build itself.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { packageRoot } from './conformance-run.ts';
import { quickBudgets, startTestSim } from './reliability-support.ts';

/** The instructions of the Dockerfile's last stage. */
function finalStage(): { copies: string[][]; entrypoint: string[]; user: string | undefined; workdir: string[] } {
  const text = readFileSync(join(packageRoot, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const last = lines.map((l, i) => (l.startsWith('FROM ') ? i : -1)).filter((i) => i >= 0).at(-1) ?? 0;
  const stage = lines.slice(last + 1);
  const arg = (prefix: string): string[] => stage.filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length).trim());
  return {
    copies: arg('COPY ').map((l) => l.split(/\s+/)),
    entrypoint: JSON.parse(arg('ENTRYPOINT ')[0] ?? '[]') as string[],
    user: arg('USER ')[0],
    workdir: arg('WORKDIR '),
  };
}

/** Top-level packages `npm ci --omit=dev` installs (npm ls), minus what the deps stage removes. */
function productionPackages(): string[] {
  const removed = readFileSync(join(packageRoot, 'Dockerfile'), 'utf8');
  expect(removed).toContain('rm -rf node_modules/tsx node_modules/esbuild node_modules/@esbuild');
  const paths = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: packageRoot, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }).split('\n').filter((p) => p.includes('node_modules/'));
  const top = new Set(paths.map((p) => {
    const rest = p.slice(p.indexOf('node_modules/') + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1] ?? ''}` : rest[0] ?? '';
  }));
  return [...top].filter((p) => p && p !== 'tsx' && p !== 'esbuild' && !p.startsWith('@esbuild/')).sort();
}

test('the image\'s file set runs a conformance run with plain Node, without tsx or dev dependencies', async () => {
  test.setTimeout(200_000);
  const stage = finalStage();
  expect(stage.user, 'the image runs as a non-root user').toMatch(/^[1-9]\d*:[1-9]\d*$/);
  expect(stage.entrypoint).toEqual(['node', '/app/dist/mesh-conformance.mjs']);
  expect(stage.workdir[0]).toBe('/app');

  const build = spawnSync('npm', ['run', 'build'], { cwd: packageRoot, encoding: 'utf8' });
  expect(build.status, build.stderr).toBe(0);
  const root = mkdtempSync(join(tmpdir(), 'mc-image-'));
  const app = join(root, 'app');
  const work = join(root, 'tmp');
  mkdirSync(app, { recursive: true });
  mkdirSync(work, { recursive: true });
  const sim = await startTestSim(join(root, 'sim'));
  try {
    // Replay the final stage's COPY lines (hard links: same filesystem, no symlinks for Node to resolve through).
    for (const parts of stage.copies) {
      const from = parts.find((p) => p.startsWith('--from='))?.slice('--from='.length);
      const args = parts.filter((p) => !p.startsWith('--'));
      const dest = args.pop() ?? '';
      const target = join(app, dest.replace(/^\.\//, ''));
      if (from === 'deps') {
        for (const pkg of productionPackages()) {
          mkdirSync(join(target, pkg, '..'), { recursive: true });
          execFileSync('cp', ['-al', join(packageRoot, 'node_modules', pkg), join(target, pkg)]);
        }
      } else if (from === 'build') {
        execFileSync('cp', ['-al', join(packageRoot, 'dist'), target]);
      } else {
        for (const src of args) execFileSync('cp', ['-al', join(packageRoot, src), dest.endsWith('/') ? join(target, src) : target]);
      }
    }
    expect(existsSync(join(app, 'node_modules', 'tsx')), 'no tsx in the image').toBe(false);
    expect(existsSync(join(app, 'node_modules', 'typescript')), 'no dev dependencies in the image').toBe(false);
    expect(existsSync(join(app, 'simulator')), 'no simulator in the image').toBe(false);

    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work, NODE_ENV: 'production', MESH_CONFORMANCE_REPORT_DIR: join(work, 'mesh-conformance', 'reports'), ...quickBudgets,
    };
    const [node = 'node', entry = ''] = stage.entrypoint;
    const run = spawnSync(node === 'node' ? process.execPath : node, [entry.replace(/^\/app/, app), 'run', '--target', 'kind', '--kubeconfig', sim.kubeconfig, '--context', sim.context],
      { cwd: work, env, encoding: 'utf8', timeout: 150_000 });
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    // The four core checks; the extended workload-identity and dapr-invocation checks pass on top; external-authorization and ingress-mtls are skipped as
    // unsupported (neither cluster change is allowed).
    expect(run.stdout).toMatch(/^core: 4 passed, 0 failed, 0 skipped \(success\)$/m);
    expect(run.stdout).toMatch(/mesh-conformance: \d+ passed, 0 failed, 2 skipped; run passed/);
    expect(existsSync(join(work, 'mesh-conformance', 'reports', 'conformance-report.yaml'))).toBe(true);
  } finally {
    await sim.stop();
    rmSync(root, { recursive: true, force: true });
  }
});
