// The peers' approach, run beside the harness in the same benchmark run: every 1 s (kuttl's and OSM e2e's period)
// it GETs the state of every run namespace and notes when it would have moved on from each wait. It follows the
// same flow as the harness (pod 2/2 Ready → Ingress address → IngressBackend committed → GET /get 200) and also
// OSM e2e's HTTP rule (five successes 1 s apart). It only reads; it never creates or deletes anything.
//
//   node scripts/bench/poller.mjs --kubeconfig FILE --out FILE [--period-ms 1000] [--successes 5]
//
// Output: one JSONL line per observation `{"t":…,"namespace":"…","wait":"pod-ready"|…,"requests":n}`; its API
// requests carry the user agent `mesh-conformance-bench-poller` so the benchmark can count them apart.
import { Buffer } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import YAML from 'yaml';

export const pollerUserAgent = 'mesh-conformance-bench-poller';
const runLabel = 'mesh-conformance.io/run-id';

const { values: opts } = parseArgs({
  options: {
    kubeconfig: { type: 'string' },
    out: { type: 'string' },
    'period-ms': { type: 'string', default: '1000' },
    successes: { type: 'string', default: '5' },
  },
});
if (!opts.kubeconfig || !opts.out) {
  process.stderr.write('poller: --kubeconfig FILE and --out FILE are required\n');
  process.exit(2);
}
const periodMs = Number(opts['period-ms']);
const successes = Number(opts.successes);
const now = () => performance.timeOrigin + performance.now();

/** @type {{ contexts: any[], clusters: any[], users: any[], 'current-context'?: string }} */
const kc = YAML.parse(readFileSync(opts.kubeconfig, 'utf8'));
const ctx = kc.contexts.find((c) => c.name === kc['current-context'])?.context ?? kc.contexts[0].context;
const cluster = kc.clusters.find((c) => c.name === ctx.cluster).cluster;
const user = kc.users.find((u) => u.name === ctx.user).user;
const ca = cluster['certificate-authority-data'] ? Buffer.from(cluster['certificate-authority-data'], 'base64') : readFileSync(cluster['certificate-authority']);
const apiAgent = new Agent({ connect: { ca } });
const httpAgent = new Agent({ keepAliveTimeout: 1 });
let requests = 0;

/**
 * GET of an API path as JSON; undefined when the answer is not 200.
 * @param {string} path
 * @returns {Promise<any>}
 */
async function api(path) {
  requests += 1;
  const res = await request(`${cluster.server}${path}`, {
    dispatcher: apiAgent,
    headers: { authorization: `Bearer ${user.token}`, 'user-agent': pollerUserAgent, accept: 'application/json' },
    headersTimeout: 5_000, bodyTimeout: 5_000,
  });
  const body = await res.body.text();
  return res.statusCode === 200 ? JSON.parse(body) : undefined;
}

/**
 * The status of a GET through the ingress (0 when it did not answer).
 * @param {string} url
 * @param {string} host
 * @returns {Promise<number>}
 */
async function httpStatus(url, host) {
  try {
    const res = await request(url, { dispatcher: httpAgent, headers: { host }, headersTimeout: 2_000, bodyTimeout: 2_000 });
    await res.body.dump();
    return res.statusCode;
  } catch {
    return 0;
  }
}

writeFileSync(opts.out, '');
/** @param {string} namespace @param {string} wait @param {object} [extra] */
const record = (namespace, wait, extra = {}) => appendFileSync(/** @type {string} */ (opts.out), `${JSON.stringify({ t: now(), namespace, wait, requests, ...extra })}\n`);

/** Per namespace: which wait it is in, as a peer's sequential test would be. */
/** @type {Map<string, { step: string, oks: number, url?: string, host?: string }>} */
const flows = new Map();
/** @param {any} p a Pod */
const podReady = (p) => p.status?.phase === 'Running' && (p.status.containerStatuses ?? []).length === p.spec.containers.length
  && p.status.containerStatuses.every((/** @type {{ ready: boolean }} */ c) => c.ready);

async function tick() {
  const list = await api(`/api/v1/namespaces?labelSelector=${encodeURIComponent(runLabel)}`);
  for (const ns of list?.items ?? []) {
    const name = ns.metadata.name;
    if (!flows.has(name)) flows.set(name, { step: 'pod-ready', oks: 0 });
  }
  await Promise.all([...flows].map(async ([ns, flow]) => {
    if (flow.step === 'pod-ready') {
      const pods = await api(`/api/v1/namespaces/${ns}/pods?labelSelector=app%3Dhttpbin`);
      if ((pods?.items ?? []).some(podReady)) { record(ns, 'pod-ready'); flow.step = 'ingress-address'; }
    } else if (flow.step === 'ingress-address') {
      const ing = await api(`/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses/httpbin`);
      const lb = ing?.status?.loadBalancer?.ingress?.[0];
      if (lb) {
        const port = lb.ports?.[0]?.port ?? 80;
        flow.url = `http://${lb.ip ?? lb.hostname}${port === 80 ? '' : `:${port}`}/get`;
        flow.host = ing.spec?.rules?.[0]?.host ?? '';
        record(ns, 'ingress-address');
        flow.step = 'ingressbackend-committed';
      }
    } else if (flow.step === 'ingressbackend-committed') {
      const ib = await api(`/apis/policy.openservicemesh.io/v1alpha1/namespaces/${ns}/ingressbackends/httpbin`);
      if (ib?.status?.currentStatus === 'committed') { record(ns, 'ingressbackend-committed'); flow.step = 'http-200'; }
    } else if (flow.step === 'http-200') {
      // set together with the step 'http-200'
      const status = await httpStatus(/** @type {string} */ (flow.url), /** @type {string} */ (flow.host));
      if (status === 200) {
        flow.oks += 1;
        if (flow.oks === 1) record(ns, 'http-200');
        if (flow.oks >= successes) { record(ns, 'http-200-verdict'); flow.step = 'done'; }
      } else flow.oks = 0;
    }
  }));
}

let stopping = false;
process.on('SIGTERM', () => { stopping = true; });
process.on('SIGINT', () => { stopping = true; });
process.stdout.write('poller ready\n');
while (!stopping) {
  const began = Date.now();
  try {
    await tick();
  } catch (err) {
    process.stderr.write(`poller: ${err instanceof Error ? err.message : String(err)}\n`);
  }
  await sleep(Math.max(0, periodMs - (Date.now() - began)));
}
record('', 'stopped');
await apiAgent.close();
await httpAgent.close();
