// The commands upstream-build composes and its cache reuse, checked without Go (a recording runner, a temp cache).
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { recordingRunner } from './runner.mjs';
import { allBinaries, requiredVersion, upstreamBuild, upstreamCacheRoot, upstreamVersions, versionLdflags } from './upstream-env.mjs';

/** @type {import('./runner.mjs').Answer} */
const goList = [/^go list /, { stdout: '{\n\t"Path": "k8s.io/kubernetes",\n\t"Version": "v1.35.4",\n\t"Time": "2026-04-15T18:01:22Z"\n}\n' }];

describe('upstream-build', () => {
  it('reads the pins from upstream/go.mod and upstream/etcd/go.mod', () => {
    const v = upstreamVersions();
    assert.match(v.kubernetes, /^v1\.\d+\.\d+$/);
    assert.match(v.etcd, /^v3\.\d+\.\d+$/);
    assert.equal(requiredVersion('require (\n\tk8s.io/kubernetes v1.2.3\n)\n', 'k8s.io/kubernetes'), 'v1.2.3');
    assert.equal(requiredVersion('require go.etcd.io/etcd/server/v3 v3.6.14\n', 'go.etcd.io/etcd/server/v3'), 'v3.6.14');
  });

  it('sets the version variables upstream release builds set', () => {
    const flags = versionLdflags('v1.35.4', '2026-04-15T18:01:22Z');
    assert.ok(flags.includes('-X k8s.io/component-base/version.gitVersion=v1.35.4'));
    assert.ok(flags.includes('-X k8s.io/client-go/pkg/version.gitMinor=35'));
    assert.ok(flags.includes('-X k8s.io/component-base/version.buildDate=2026-04-15T18:01:22Z'));
  });

  it('caches under XDG_CACHE_HOME, or ~/.cache', () => {
    assert.equal(upstreamCacheRoot({ XDG_CACHE_HOME: '/c' }), '/c/mesh-conformance/upstream');
    assert.match(upstreamCacheRoot({}), /\.cache\/mesh-conformance\/upstream$/);
  });

  it('builds all four binaries into <cache>/<version>/bin, then reuses them until a pin changes', async () => {
    const cacheRoot = mkdtempSync(join(tmpdir(), 'upstream-build-test-'));
    const dir = mkdtempSync(join(tmpdir(), 'upstream-mod-test-'));
    try {
      mkdirSync(join(dir, 'etcd'));
      writeFileSync(join(dir, 'go.mod'), 'module m\n\nrequire k8s.io/kubernetes v1.35.4\n');
      writeFileSync(join(dir, 'etcd', 'go.mod'), 'module m/etcd\n\nrequire go.etcd.io/etcd/server/v3 v3.6.14\n');
      const first = recordingRunner([goList]);
      const built = await upstreamBuild(first, { dir, cacheRoot, hasGo: async () => true });
      assert.equal(built.bin, join(cacheRoot, 'v1.35.4', 'bin'));
      assert.equal(first.commands.length, 2);
      assert.match(first.commands[0] ?? '', /^env CGO_ENABLED=0 nice -n 10 go build -C \S+ -trimpath -buildvcs=false -ldflags .*gitVersion=v1\.35\.4.* -o \S+\/ \.\/cmd\/kube-apiserver \.\/cmd\/kube-controller-manager \.\/cmd\/kube-scheduler$/);
      assert.match(first.commands[1] ?? '', /^env CGO_ENABLED=0 nice -n 10 go build -C \S+\/etcd -trimpath -buildvcs=false -ldflags \$?'-s -w' -o \S+\/bin\/etcd \.$/);

      // The recording runner builds nothing: put the binaries there, as go build would have.
      for (const b of allBinaries) writeFileSync(join(built.bin, b), '');
      const again = recordingRunner([goList]);
      assert.equal((await upstreamBuild(again, { dir, cacheRoot, hasGo: async () => false })).built, false, 'reuse needs no Go');
      assert.deepEqual(again.commands, []);

      writeFileSync(join(dir, 'go.sum'), 'changed\n');
      const changed = recordingRunner([goList]);
      await assert.rejects(upstreamBuild(changed, { dir, cacheRoot, hasGo: async () => false }), /^UsageError: go not found on PATH: install Go/);
      assert.equal((await upstreamBuild(changed, { dir, cacheRoot, hasGo: async () => true })).built, true);
      assert.match(readFileSync(join(cacheRoot, 'v1.35.4', 'stamp'), 'utf8'), /^[0-9a-f]{64}\n$/);
    } finally {
      rmSync(cacheRoot, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
