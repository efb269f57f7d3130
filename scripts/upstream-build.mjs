#!/usr/bin/env node
// Builds the upstream Kubernetes control plane (kube-apiserver, kube-controller-manager, kube-scheduler) and etcd
// from the Go module proxy, pinned in upstream/go.mod and upstream/etcd/go.mod, into
// ${XDG_CACHE_HOME:-~/.cache}/mesh-conformance/upstream/<k8s version>/bin, and reuses them while the pins are
// unchanged (a stamp file holds the hash of the go.mod/go.sum files, the entry points and the flags).
// simulator/src/upstream/control-plane.ts runs them. A cold build takes minutes on 2 cores (see upstream/README).
// Then istiod (pilot-discovery) and istioctl, pinned in upstream/istio/go.mod, into .../upstream/istio-<version>/bin
// (lib/istio-build.mjs; --kubernetes-only skips them).
//
//   node scripts/upstream-build.mjs [--force] [--kubernetes-only] [--dry-run]
import process from 'node:process';
import { which } from 'zx';
import { istioBuild } from './lib/istio-build.mjs';
import { upstreamBuild } from './lib/upstream-env.mjs';
import { scriptMain } from './lib/script-main.mjs';

process.exitCode = await scriptMain({
  name: 'upstream-build',
  usage: 'node scripts/upstream-build.mjs [--force: rebuild even when current] [--kubernetes-only: not istiod and istioctl] [--dry-run: print the commands only]',
  options: { force: 'boolean', 'kubernetes-only': 'boolean' },
  // `go` is checked only when a build is needed (cached binaries need no Go), as one line.
  tools: [],
  main: async (runner, args) => {
    const hasGo = async () => Boolean(await which('go', { nothrow: true }));
    await upstreamBuild(runner, { force: Boolean(args.force), hasGo });
    if (!args['kubernetes-only']) await istioBuild(runner, { force: Boolean(args.force), hasGo });
  },
});
