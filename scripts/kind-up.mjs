#!/usr/bin/env node
// Creates the kind environment a mesh profile expects, idempotently. Versions: scripts/lib/versions.mjs.
//   --mesh osm (default): a kind cluster whose worker is labelled ingress-ready=true and maps host port 80,
//     ingress-nginx (hostPort, pinned chart), OSM with Prometheus via the osm CLI, and the ingress-nginx namespace
//     watched by OSM without sidecar injection.
//   --mesh istio: a kind cluster on a node image Istio 1.30 supports, the Gateway API CRDs, MetalLB (LoadBalancer
//     addresses on the kind network), Istio with Helm under revision asm-1-30 (as the AKS add-on names it), and
//     Istio's Prometheus addon.
//   --with opa (osm only): also OPA with its Envoy ext_authz plugin and the repository's policy (deploy/opa/), and
//     MeshConfig inbound external authorization pointing at it (docs/external-authorization.md).
//   --with flagger (osm only): also Flagger in osm-system with meshProvider osm and osm-prometheus as its metrics
//     server, from its Helm chart at a pinned version (docs/flagger.md).
//   --with dapr (osm only): also Dapr from its Helm chart with mTLS off, and the placement server's ports excluded from
//     OSM's outbound interception in MeshConfig, as OSM's Dapr guide says (docs/dapr.md). Comma-separated: --with opa,dapr,flagger.
//
//   node scripts/kind-up.mjs [--mesh osm|istio] [--name mesh-conformance] [--host-port 80] [--with opa,dapr,flagger] [--dry-run]
import process from 'node:process';
import { kindDefaults, kindUp, kindUpToolsFor } from './lib/kind-env.mjs';
import { scriptMain, UsageError } from './lib/script-main.mjs';
import { kindMeshes, versionsFor } from './lib/versions.mjs';

/**
 * The --mesh value (default osm); anything else is a usage error.
 * @param {Record<string, unknown>} args
 * @returns {import('./lib/versions.mjs').KindMesh}
 */
function meshOf(args) {
  const mesh = args.mesh ?? kindDefaults.mesh;
  if (mesh === 'osm' || mesh === 'istio') return mesh;
  throw new UsageError(`--mesh must be one of ${kindMeshes.join(', ')}, got ${String(mesh)}`);
}

/** @param {Record<string, unknown>} args */
const safeMesh = (args) => (args.mesh === 'istio' ? 'istio' : 'osm');
/** @param {Record<string, unknown>} args */
const knownMesh = (args) => args.mesh === undefined || args.mesh === 'osm' || args.mesh === 'istio';

process.exitCode = await scriptMain({
  name: 'kind-up',
  usage: 'node scripts/kind-up.mjs [--mesh osm|istio (default osm)] [--name NAME (default mesh-conformance)] [--host-port PORT (default 80; osm only)] [--with opa,dapr,flagger (osm only)] [--dry-run: print the commands only]',
  options: { name: 'string', 'host-port': 'string', mesh: 'string', with: 'string' },
  // A wrong --mesh is reported by main (exit 2) before anything runs, not hidden behind the tool check.
  tools: (args) => (knownMesh(args) ? kindUpToolsFor(safeMesh(args)) : []),
  versions: (args) => versionsFor(safeMesh(args)),
  main: async (runner, args) => {
    const mesh = meshOf(args);
    if (mesh === 'istio' && args['host-port'] !== undefined) {
      throw new UsageError('--host-port applies to the osm environment (ingress-nginx on a host port); with --mesh istio the gateway gets a MetalLB address on the kind network');
    }
    const hostPort = Number(args['host-port'] ?? kindDefaults.hostPort);
    if (!Number.isInteger(hostPort) || hostPort < 1 || hostPort > 65535) throw new UsageError(`--host-port must be a port number from 1 to 65535, got ${String(args['host-port'])}`);
    const name = String(args.name ?? kindDefaults.name);
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) throw new UsageError(`--name must be lower-case letters, digits and -, got ${name}`);
    const extras = args.with === undefined ? [] : String(args.with).split(',').map((x) => x.trim());
    const unknown = extras.filter((x) => x !== 'opa' && x !== 'dapr' && x !== 'flagger');
    if (unknown.length) throw new UsageError(`--with takes opa (OPA-Envoy for external authorization), dapr (Dapr as OSM's Dapr guide installs it) or flagger (Flagger for OSM), comma-separated, got ${unknown.join(',')}`);
    if (extras.includes('opa') && mesh !== 'osm') throw new UsageError('--with opa applies to the osm environment (MeshConfig inboundExternalAuthorization); Istio\'s external authorization is not set up by kind-up');
    if (extras.includes('dapr') && mesh !== 'osm') throw new UsageError('--with dapr applies to the osm environment (OSM\'s Dapr guide); the Istio profile has no Dapr guidance');
    if (extras.includes('flagger') && mesh !== 'osm') throw new UsageError('--with flagger applies to the osm environment (Flagger with -mesh-provider=osm); install Flagger for Istio by hand (docs/flagger.md)');
    await kindUp(runner, { name, hostPort, mesh, opa: extras.includes('opa'), dapr: extras.includes('dapr'), flagger: extras.includes('flagger') });
  },
});
