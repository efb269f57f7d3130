// What kind-up and kind-down do, as steps over a Runner (runner.mjs), so tests can check every command line.
import { UsageError } from './script-main.mjs';
import { versions } from './versions.mjs';

/** Defaults of the kind environment (the cluster name gives the kubeconfig context `kind-<name>`). */
export const kindDefaults = Object.freeze({ name: 'mesh-conformance', hostPort: 80, meshName: 'osm', osmNamespace: 'osm-system' });

/** The tools each script needs. */
export const kindUpTools = ['docker', 'kind', 'kubectl', 'helm', 'osm'];
export const kindDownTools = ['docker', 'kind'];

/**
 * The kind cluster: a control plane and one worker labelled ingress-ready=true whose port 80 is the host's
 * `hostPort`, so ingress-nginx (hostPort 80 on that node) answers on http://localhost.
 */
export function kindClusterConfig(opts = {}) {
  const o = { ...kindDefaults, ...opts };
  return [
    'kind: Cluster',
    'apiVersion: kind.x-k8s.io/v1alpha4',
    `name: ${o.name}`,
    'nodes:',
    '  - role: control-plane',
    '  - role: worker',
    '    labels:',
    '      ingress-ready: "true"',
    '    extraPortMappings:',
    '      - containerPort: 80',
    `        hostPort: ${o.hostPort}`,
    '        protocol: TCP',
    '',
  ].join('\n');
}

/** `helm upgrade --install` of ingress-nginx for kind: hostPort on the ingress-ready node, status address localhost. */
export function ingressNginxArgs(v = versions) {
  return [
    'upgrade', '--install', 'ingress-nginx', 'ingress-nginx',
    '--repo', 'https://kubernetes.github.io/ingress-nginx', '--version', v.ingressNginxChart,
    '--namespace', 'ingress-nginx', '--create-namespace',
    '--set', 'controller.hostPort.enabled=true',
    '--set-string', 'controller.nodeSelector.ingress-ready=true',
    '--set', 'controller.service.type=NodePort',
    // On kind the ingress address is localhost: publish it on every Ingress instead of a node IP behind Docker's NAT.
    '--set', 'controller.publishService.enabled=false',
    '--set', 'controller.extraArgs.publish-status-address=localhost',
    '--wait', '--timeout', '5m',
  ];
}

/** `osm install` with Prometheus, permissive traffic policy and the IngressBackend policy (the guide's settings). */
export function osmInstallArgs(opts = {}) {
  const o = { ...kindDefaults, ...opts };
  return [
    'install', '--mesh-name', o.meshName, '--osm-namespace', o.osmNamespace,
    '--set=osm.deployPrometheus=true',
    '--set=osm.enablePermissiveTrafficPolicy=true',
    '--set=osm.featureFlags.enableIngressBackendPolicy=true',
    '--timeout', '5m', '--verbose',
  ];
}

/**
 * Creates (or completes) the kind environment. Idempotent: an existing cluster, ingress-nginx release or OSM
 * install is kept (helm upgrade --install converges the release to the pinned chart and values).
 * @param {import('./runner.mjs').Runner} r
 */
export async function kindUp(r, opts = {}) {
  const o = { ...kindDefaults, ...opts };
  const context = `kind-${o.name}`;
  const engine = await r.query('docker', ['info', '--format', '{{.ServerVersion}}']);
  if (!engine.ok && !r.dryRun) throw new UsageError('the Docker engine is not running (`docker info` failed): start Docker (Desktop) or the docker service, then retry');
  const clusters = await r.query('kind', ['get', 'clusters']);
  if (clusters.stdout.split('\n').map((l) => l.trim()).includes(o.name)) {
    r.say(`kind cluster ${o.name} exists: keeping it (delete it with node scripts/kind-down.mjs to start afresh)`);
  } else {
    await r.run('kind', ['create', 'cluster', '--name', o.name, '--image', versions.kindNodeImage, '--config', '-', '--wait', '2m'], { input: kindClusterConfig(o) });
  }
  /** @param {string[]} args */
  const kubectl = (args) => r.run('kubectl', ['--context', context, ...args]);

  await r.run('helm', ['--kube-context', context, ...ingressNginxArgs()]);

  // The osm CLI works on the current context: make it this cluster's (kind create sets it, a re-run may not find it so).
  await r.run('kubectl', ['config', 'use-context', context]);
  const osmPresent = await r.query('kubectl', ['--context', context, 'get', 'deployment', 'osm-controller', '--namespace', o.osmNamespace, '--ignore-not-found', '--output', 'name']);
  if (osmPresent.ok && osmPresent.stdout.trim() !== '') {
    r.say(`OSM is installed in ${o.osmNamespace}: keeping it`);
  } else {
    await r.run('osm', osmInstallArgs(o));
  }
  for (const d of ['osm-controller', 'osm-injector', 'osm-bootstrap']) {
    await kubectl(['rollout', 'status', `deployment/${d}`, '--namespace', o.osmNamespace, '--timeout', '5m']);
  }
  // OSM must watch the ingress controller's namespace (to resolve its endpoints) without injecting a sidecar.
  await r.run('osm', ['namespace', 'add', 'ingress-nginx', '--mesh-name', o.meshName, '--disable-sidecar-injection']);

  r.say(`ready: kind cluster ${o.name} (context ${context}), ingress on http://localhost${o.hostPort === 80 ? '' : `:${o.hostPort}`}`);
  r.say(`next: npx mesh-conformance run --target kind --context ${context}${o.hostPort === 80 ? '' : ` --ingress-address localhost:${o.hostPort}`}`);
  return { context };
}

/**
 * Deletes the kind cluster; nothing to do when it does not exist.
 * @param {import('./runner.mjs').Runner} r
 */
export async function kindDown(r, opts = {}) {
  const o = { ...kindDefaults, ...opts };
  const clusters = await r.query('kind', ['get', 'clusters']);
  if (!r.dryRun && !clusters.stdout.split('\n').map((l) => l.trim()).includes(o.name)) {
    r.say(`kind cluster ${o.name} does not exist: nothing to delete`);
    return { deleted: false };
  }
  await r.run('kind', ['delete', 'cluster', '--name', o.name]);
  return { deleted: true };
}
