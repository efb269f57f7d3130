#!/usr/bin/env node
// Creates the kind environment the kind profile expects, idempotently: a kind cluster whose worker is labelled
// ingress-ready=true and maps host port 80, ingress-nginx (hostPort, pinned chart), OSM with Prometheus via the osm
// CLI, and the ingress-nginx namespace watched by OSM without sidecar injection. Versions: scripts/lib/versions.mjs.
//
//   node scripts/kind-up.mjs [--name mesh-conformance] [--host-port 80] [--dry-run]
import process from 'node:process';
import { kindDefaults, kindUp, kindUpTools } from './lib/kind-env.mjs';
import { scriptMain, UsageError } from './lib/script-main.mjs';

process.exitCode = await scriptMain({
  name: 'kind-up',
  usage: 'node scripts/kind-up.mjs [--name NAME (default mesh-conformance)] [--host-port PORT (default 80)] [--dry-run: print the commands only]',
  options: { name: 'string', 'host-port': 'string' },
  tools: kindUpTools,
  main: async (runner, args) => {
    const hostPort = Number(args['host-port'] ?? kindDefaults.hostPort);
    if (!Number.isInteger(hostPort) || hostPort < 1 || hostPort > 65535) throw new UsageError(`--host-port must be a port number from 1 to 65535, got ${String(args['host-port'])}`);
    const name = String(args.name ?? kindDefaults.name);
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) throw new UsageError(`--name must be lower-case letters, digits and -, got ${name}`);
    await kindUp(runner, { name, hostPort });
  },
});
