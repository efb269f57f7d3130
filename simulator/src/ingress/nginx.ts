/**
 * The ingress-nginx controller container (kind flavor): serves Ingresses of class `nginx` on its node's address,
 * port 80 (its hostPort, as the kind manifest sets it; a free high port when 80 cannot be bound), proxies from its
 * own pod IP so that the mesh sees the controller pod as the source, and publishes its address on the Ingresses.
 */
import http from 'node:http';
import type { KubeObject } from '../cluster/types.ts';
import type { ContainerContext, RunningContainer } from '../node/container.ts';
import { inProcessContainer } from '../node/container.ts';
import { EventRecorder } from '../cluster/event-recorder.ts';
import { nodeKinds } from '../node/kinds.ts';
import { listenOn } from '../node/network.ts';
import { htmlErrorPage, startIngressProxy } from './ingress-proxy.ts';
import type { AccessEntry } from './ingress-proxy.ts';
import { publishIngressStatus } from './publish-status.ts';
import { ingressClassOf } from './routing.ts';
import type { UpstreamTls } from './ingress-proxy.ts';
import { typeFor } from '../controllers/resource-lookup.ts';

/** ingress-nginx's health and metrics port. */
const healthzPort = 10254;

/** Starts the controller inside its pod; registered for images matching `*ingress-nginx/controller*`. */
export async function startNginxControllerContainer(ctx: ContainerContext): Promise<RunningContainer> {
  const kinds = nodeKinds(ctx.store);
  const argv = [...(ctx.container.command ?? []), ...(ctx.container.args ?? [])];
  const ingressClass = argValue(argv, '--ingress-class') ?? 'nginx';
  const matches = (ingress: KubeObject): boolean => ingressClassOf(ingress) === ingressClass;
  const ingresses = (): KubeObject[] => (kinds.ingress ? ctx.store.list(kinds.ingress).items.filter((i) => matches(i) && !i.metadata.deletionTimestamp) : []);

  const http80 = ctx.ports.find((p) => p.containerName === ctx.container.name && p.containerPort === 80);
  const onHostPort = !http80 || http80.hostPort !== undefined;
  const listenHost = onHostPort ? ctx.hostIP : ctx.podIP;
  const preferredPort = http80?.hostPort ?? 80;

  ctx.log('-------------------------------------------------------------------------------');
  ctx.log('NGINX Ingress controller');
  ctx.log('  Release:       v1.1.2');
  ctx.log('  Build:         simulated');
  ctx.log('  Repository:    https://github.com/kubernetes/ingress-nginx');
  ctx.log('  nginx version: nginx/1.19.9');
  ctx.log('-------------------------------------------------------------------------------');

  const proxy = await startIngressProxy({
    store: ctx.store,
    kinds,
    ingresses,
    listenHost,
    preferredPort,
    sourceAddress: ctx.podIP,
    network: ctx.network,
    errorPage: (status) => htmlErrorPage(status, 'nginx', { server: 'nginx' }),
    responseHeaders: { server: 'nginx' },
    accessLog: (entry) => ctx.log(nginxAccessLine(entry, ctx.clock())),
    backendTls: (ref) => {
      const ingress = ingresses().find((i) => i.metadata.namespace === ref.namespace && i.metadata.name === ref.ingress);
      return ingress ? backendTlsOf(ingress, (ns, name) => ctx.store.get(typeFor(ctx.store, 'Secret'), ns, name)) : undefined;
    },
  });
  const healthz = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(req.url === '/healthz' ? 'ok' : '');
  });
  try {
    await listenOn(healthz, ctx.podIP, healthzPort);
  } catch {
    // The health port is a diagnostic nicety; the data path does not depend on it.
  }
  ctx.log(`I1124 00:00:00.000000       7 status.go:84] "New leader elected" identity="${ctx.pod.metadata.name}"`);
  ctx.log(`I1124 00:00:00.000000       7 controller.go:155] "Configuration changes detected, backend reload required" listen="${proxy.host}:${proxy.port}"`);

  const events = new EventRecorder(ctx.store, { component: 'nginx-ingress-controller' }, ctx.clock);
  const seen = new Set<string>();
  const announce = (ingress: KubeObject): void => {
    const key = `${ingress.metadata.uid}/${ingress.metadata.generation ?? ''}`;
    if (!matches(ingress) || seen.has(key)) return;
    seen.add(key);
    void events?.record({ involved: ingress, type: 'Normal', reason: 'Sync', message: 'Scheduled for sync' });
  };
  if (kinds.ingress) for (const i of ctx.store.list(kinds.ingress).items) announce(i);
  const unsubscribe = ctx.store.onChange((event) => {
    if (event.type !== 'DELETED' && kinds.ingress && event.resource.plural === kinds.ingress.plural && event.resource.group === kinds.ingress.group) announce(event.object);
  });

  const publisher = publishIngressStatus({ store: ctx.store, kinds, hooks: ctx.hooks.ingress, matches, address: { ip: proxy.host, port: proxy.port }, delayMs: ctx.timings.ingressAddressMs, periodMs: statusPeriodMs(argv, ctx.timings.nginxStatusIntervalMs) });

  return inProcessContainer(async () => {
    publisher.stop();
    unsubscribe();
    await proxy.close();
    await new Promise<void>((resolve) => {
      healthz.close(() => resolve());
      healthz.closeAllConnections();
    });
  });
}

const annotation = (name: string): string => `nginx.ingress.kubernetes.io/${name}`;

/**
 * How ingress-nginx speaks to an Ingress's backends (its annotations, as OSM's docs and e2e test set them, osm.md §5a):
 * `backend-protocol: HTTPS` (or GRPCS) makes it TLS; `proxy-ssl-secret: <ns>/<name>` gives the client certificate
 * (`tls.crt`, `tls.key`) and the CA (`ca.crt`) from that Secret; `proxy-ssl-verify: on` verifies the backend's
 * certificate against that CA and the name `proxy-ssl-name` or a `configuration-snippet`'s `proxy_ssl_name "…";` sets.
 * A `proxy-ssl-secret` that names no Secret yields no client certificate (the annotation is dropped with an error).
 */
export function backendTlsOf(ingress: KubeObject, secret: (namespace: string, name: string) => KubeObject | undefined): UpstreamTls | undefined {
  const notes = ingress.metadata.annotations ?? {};
  const protocol = (notes[annotation('backend-protocol')] ?? 'HTTP').toUpperCase();
  if (protocol !== 'HTTPS' && protocol !== 'GRPCS') return undefined;
  const snippetName = /proxy_ssl_name\s+"?([^";\s]+)"?\s*;/.exec(notes[annotation('configuration-snippet')] ?? '')?.[1];
  const serverName = snippetName ?? notes[annotation('proxy-ssl-name')];
  const ref = notes[annotation('proxy-ssl-secret')] ?? '';
  const [ns, name] = ref.includes('/') ? ref.split('/', 2) : [ingress.metadata.namespace ?? 'default', ref];
  const found = name ? secret(ns ?? '', name) : undefined;
  const data = (found?.['data'] ?? {}) as Record<string, string | undefined>;
  const text = (key: string): string | undefined => (data[key] ? Buffer.from(data[key], 'base64').toString('utf8') : undefined);
  const verify = found !== undefined && (notes[annotation('proxy-ssl-verify')] ?? 'off').toLowerCase() === 'on';
  return {
    ...(found ? { certPem: text('tls.crt'), keyPem: text('tls.key'), caPem: text('ca.crt') } : {}),
    ...(serverName ? { serverName } : {}),
    verify,
  };
}

/**
 * The status sync period when the timings model it: the controller's own `--status-update-interval` (seconds) when
 * its Deployment sets one, as kind-up's does (5), else the preset's (upstream's default 60 s).
 */
function statusPeriodMs(argv: string[], presetMs: number): number {
  if (presetMs <= 0) return 0;
  const seconds = Number(argValue(argv, '--status-update-interval'));
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : presetMs;
}

function argValue(argv: string[], flag: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg.startsWith(`${flag}=`)) return arg.slice(flag.length + 1);
    if (arg === flag) return argv[i + 1];
  }
  return undefined;
}

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** ingress-nginx's default log-format-upstream. */
function nginxAccessLine(e: AccessEntry, now: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  const time = `${pad(now.getUTCDate())}/${months[now.getUTCMonth()]}/${now.getUTCFullYear()}:${pad(now.getUTCHours())}:${pad(now.getUTCMinutes())}:${pad(now.getUTCSeconds())} +0000`;
  const peer = (e.req.socket.remoteAddress ?? '-').replace(/^::ffff:/, '');
  const seconds = (e.durationMs / 1000).toFixed(3);
  return `${peer} - - [${time}] "${e.req.method} ${e.req.url} HTTP/${e.req.httpVersion}" ${e.status} ${e.bytesSent} "${e.req.headers.referer ?? '-'}" "${e.req.headers['user-agent'] ?? '-'}" ${Number(e.req.headers['content-length'] ?? 0) + 100} ${seconds} [${e.upstreamName}] [] ${e.upstream} ${e.bytesSent} ${seconds} ${e.upstreamStatus} ${e.requestId}`;
}
