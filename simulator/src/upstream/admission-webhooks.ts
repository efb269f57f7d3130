/**
 * The simulator's admission plugins as real admission webhooks (upstream mode). kube-apiserver decides from the
 * webhook configurations (namespaceSelector, rules, failurePolicy, timeouts) whether to call one, resolves its Service
 * to an endpoint, and dials it through the cluster egress (cluster-egress.ts), which hands connections to an endpoint
 * of a webhook's Service to this server. Here a call is matched to its plugin by the TLS server name
 * (`<service>.<namespace>.svc`, which kube-apiserver sends and verifies against the configuration's caBundle) and the
 * path, as AdmissionPlugin.endpoint declares them; a certificate for that name is issued on demand by the cluster CA, or
 * by the component's own CA where the endpoint names one (istiod's, whose root it publishes in its caBundle).
 *
 * A plugin without an endpoint (a cluster policy a fault installs) gets a webhook configuration of its own, by URL
 * (`https://127.0.0.1:<port>/policy/<name>`), with failurePolicy Fail and every resource in scope, so it sees what it
 * saw in the embedded store. One with `builtin` is left to kube-apiserver's own admission plugin (control-plane.ts).
 *
 * The AdmissionReview answer: a mutation becomes a JSONPatch of what the plugin changed; a denial a Status without a
 * code (kube-apiserver then answers 400 `admission webhook "<name>" denied the request: ...`, as the embedded store
 * words it); an ApiError keeps its code and reason.
 */
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createSecureContext } from 'node:tls';
import type { SecureContext } from 'node:tls';
import type { AddressInfo } from 'node:net';
import type { AdmissionPlugin, AdmissionRequest, KubeObject, ObjectStore } from '../cluster/types.ts';
import { ApiError } from '../cluster/types.ts';
import { signLeaf } from './pki.ts';
import type { KeyPair } from './pki.ts';

/** One RFC 6902 operation. */
type PatchOp = { op: 'add' | 'remove' | 'replace'; path: string; value?: unknown };

const escapePointer = (key: string): string => key.replace(/~/g, '~0').replace(/\//g, '~1');
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The JSON Patch that turns `before` into `after`: objects key by key, anything else (arrays too) replaced whole. */
export function jsonPatchOf(before: unknown, after: unknown, path = ''): PatchOp[] {
  if (isRecord(before) && isRecord(after)) {
    const ops: PatchOp[] = [];
    for (const key of Object.keys(before)) {
      if (!(key in after) || after[key] === undefined) {
        if (before[key] !== undefined) ops.push({ op: 'remove', path: `${path}/${escapePointer(key)}` });
      }
    }
    for (const [key, value] of Object.entries(after)) {
      if (value === undefined) continue;
      const p = `${path}/${escapePointer(key)}`;
      if (!(key in before) || before[key] === undefined) ops.push({ op: 'add', path: p, value });
      else ops.push(...jsonPatchOf(before[key], value, p));
    }
    return ops;
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [{ op: 'replace', path, value: after }];
}

interface AdmissionReviewRequest {
  uid: string;
  kind?: { group: string; version: string; kind: string };
  resource: { group: string; version: string; resource: string };
  subResource?: string;
  operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  namespace?: string;
  name?: string;
  object?: KubeObject | null;
  oldObject?: KubeObject | null;
  dryRun?: boolean;
}

export interface AdmissionWebhookServer {
  /** Takes a plugin (ObjectStore.addAdmissionPlugin in upstream mode). */
  add(plugin: AdmissionPlugin): void;
  /** Whether a connection to `namespace/service` is one to a webhook served here. */
  servesService(namespace: string, service: string): boolean;
  /** The loopback port the server listens on (the cluster egress forwards webhook connections to it). */
  readonly port: number;
  /** Creates the webhook configurations of the plugins without an endpoint; call once the store is started. */
  registerPolicies(): Promise<void>;
  close(): Promise<void>;
}

export async function startAdmissionWebhookServer(opts: { ca: KeyPair; store: () => ObjectStore; log?: (line: string) => void }): Promise<AdmissionWebhookServer> {
  const log = opts.log ?? (() => undefined);
  const plugins: AdmissionPlugin[] = [];
  const contexts = new Map<string, Promise<SecureContext>>();
  const contextFor = (host: string): Promise<SecureContext> => {
    let ctx = contexts.get(host);
    if (!ctx) {
      // A component with a CA of its own (istiod) serves a certificate from it; the others one from the cluster CA.
      const [service, namespace] = host.split('.');
      const own = plugins.find((p) => p.endpoint?.servingCa && p.endpoint.service === service && p.endpoint.namespace === namespace)?.endpoint?.servingCa;
      const ca = own ? { cert: own.certPem, key: own.keyPem } : opts.ca;
      ctx = signLeaf(ca, host, { hosts: [host] }).then((pair) => createSecureContext({ cert: pair.cert, key: pair.key }));
      contexts.set(host, ctx);
    }
    return ctx;
  };
  const fallback = await signLeaf(opts.ca, 'mesh-conformance-admission', { hosts: ['127.0.0.1', 'localhost'] });
  const server = https.createServer({
    cert: fallback.cert, key: fallback.key,
    SNICallback: (host, cb) => {
      contextFor(host).then((ctx) => cb(null, ctx), (e: unknown) => cb(e instanceof Error ? e : new Error(String(e))));
    },
  }, (req, res) => {
    void serve(req, res).catch((error: unknown) => {
      log(`admission webhook failed: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  const policyName = (plugin: AdmissionPlugin): string =>
    (/^[a-z0-9-]+(\.[a-z0-9-]+){2,}$/.test(plugin.name) ? plugin.name : `${plugin.name.toLowerCase().replace(/[^a-z0-9-]+/g, '-')}.policy.mesh-conformance.test`);

  const pluginFor = (req: IncomingMessage): AdmissionPlugin | undefined => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const policy = /^\/policy\/([^/]+)$/.exec(path)?.[1];
    if (policy) return plugins.find((p) => !p.endpoint && policyName(p) === decodeURIComponent(policy));
    const sni = (req.socket as { servername?: string }).servername ?? '';
    const m = /^([^.]+)\.([^.]+)\.svc$/.exec(sni);
    if (!m) return undefined;
    return plugins.find((p) => p.endpoint && p.endpoint.service === m[1] && p.endpoint.namespace === m[2] && p.endpoint.path === path);
  };

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { apiVersion?: string; request?: AdmissionReviewRequest };
    const r = review.request;
    if (!r) {
      res.writeHead(400).end();
      return;
    }
    const answer = (response: Record<string, unknown>): void => {
      const body = JSON.stringify({ apiVersion: review.apiVersion ?? 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: r.uid, ...response } });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    };
    const plugin = pluginFor(req);
    const store = opts.store();
    const resource = store.types.byPath(r.resource.group, r.resource.version, r.resource.resource);
    const subject = (r.operation === 'DELETE' ? r.oldObject : r.object) ?? undefined;
    // Nothing here serves the call (no plugin for that endpoint, a kind the simulator does not know): admit unchanged,
    // as the embedded store does without a plugin.
    if (!plugin || !resource || !subject || r.operation === 'CONNECT') {
      answer({ allowed: true });
      return;
    }
    const before = structuredClone(subject);
    const request: AdmissionRequest = {
      operation: r.operation, resource, object: structuredClone(subject), dryRun: r.dryRun === true,
      ...(r.namespace ? { namespace: r.namespace } : {}),
      ...(r.operation === 'UPDATE' && r.oldObject ? { oldObject: r.oldObject } : {}),
      ...(r.subResource ? { subresource: r.subResource } : {}),
    };
    try {
      if (plugin.mutate) {
        await plugin.mutate(request);
        const patch = jsonPatchOf(before, request.object);
        answer(patch.length === 0 ? { allowed: true } : { allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') });
        return;
      }
      const denial = await plugin.validate?.(request);
      answer(denial === undefined ? { allowed: true } : { allowed: false, status: { status: 'Failure', message: denial } });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      answer({ allowed: false, status: { status: 'Failure', code: error.code, reason: error.reason, message: error.message, ...(error.details ? { details: error.details } : {}) } });
    }
  };

  const registerPolicy = async (plugin: AdmissionPlugin): Promise<void> => {
    const store = opts.store();
    const name = policyName(plugin);
    const kinds = [...(plugin.mutate ? ['MutatingWebhookConfiguration'] : []), ...(!plugin.mutate && plugin.validate ? ['ValidatingWebhookConfiguration'] : [])];
    for (const kind of kinds) {
      const type = store.types.byKind(kind, 'admissionregistration.k8s.io/v1');
      if (!type || store.get(type, undefined, name)) continue;
      await store.create(type, {
        apiVersion: 'admissionregistration.k8s.io/v1', kind,
        metadata: { name, labels: { 'app.kubernetes.io/managed-by': 'mesh-conformance-simulator' } },
        webhooks: [{
          name,
          clientConfig: { url: `https://127.0.0.1:${port}/policy/${encodeURIComponent(name)}`, caBundle: Buffer.from(opts.ca.cert).toString('base64') },
          rules: [{ operations: ['CREATE', 'UPDATE', 'DELETE'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*'], scope: '*' }],
          namespaceSelector: {},
          objectSelector: {},
          // Not the cluster's bookkeeping (leases and events change all the time), so that no call waits on us for them.
          matchConditions: [{ name: 'not-bookkeeping', expression: "!(request.resource.group == 'coordination.k8s.io' || request.resource.resource == 'events')" }],
          failurePolicy: 'Fail',
          sideEffects: 'None',
          admissionReviewVersions: ['v1'],
          timeoutSeconds: 10,
          ...(plugin.mutate ? { reinvocationPolicy: 'Never' } : {}),
        }],
      });
    }
  };

  let storeStarted = false;
  return {
    port,
    add(plugin) {
      plugins.push(plugin);
      if (storeStarted && !plugin.endpoint && !plugin.builtin) void registerPolicy(plugin).catch((e: unknown) => log(`webhook configuration for ${plugin.name} failed: ${e instanceof Error ? e.message : String(e)}`));
    },
    servesService: (namespace, service) => plugins.some((p) => p.endpoint?.namespace === namespace && p.endpoint.service === service),
    async registerPolicies() {
      storeStarted = true;
      for (const plugin of plugins) if (!plugin.endpoint && !plugin.builtin) await registerPolicy(plugin);
    },
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
