/**
 * The AKS resource provider's side of a managed cluster (what `az aks ...` talks to), for the OSM-to-Istio switch of
 * the AKS migration guidance (open-service-mesh-istio-migration-guidance.md; osm.md §9): outside the cluster, on HTTPS
 * with its own CA and a bearer token, both written next to the kubeconfig with the endpoint in `aks-management.json`
 * (`mesh-conformance sim-az` reads it). Operations, by the az command they stand for:
 * - `az aks show`: `GET <resourceId>`: the add-on profiles and the service mesh profile;
 * - `az aks disable-addons --addons open-service-mesh`: `POST <resourceId>/disableAddons`. The add-on manager removes
 *   what it deployed (the osm-controller, osm-injector and osm-bootstrap Deployments, their Services and
 *   ServiceAccounts); what OSM created at runtime stays: the MutatingWebhookConfiguration and the
 *   ValidatingWebhookConfiguration (with failurePolicy Fail they refuse admission in the namespaces they select once
 *   their Services are gone, which the guidance's cleanup step is about), the CRDs, the MeshConfig and the Secrets.
 *   Sidecars already running keep their last configuration (mesh/osm/inbound-policy.ts);
 * - `az aks mesh get-revisions`: `GET <resourceId>/meshRevisions`;
 * - `az aks mesh enable --revision <rev>`: `POST <resourceId>/meshEnable` `{revision}`: refused while the OSM add-on is
 *   enabled (the two cannot coexist) or when the revision does not support the cluster's Kubernetes version; otherwise
 *   istiod of the revision in aks-istio-system (the istio-aks flavor's install: CRDs, istiod, the CNI agent) and it
 *   returns once istiod is Ready, as the long-running operation does;
 * - `az aks mesh enable-ingress-gateway --ingress-gateway-type external`: `POST <resourceId>/meshEnableIngressGateway`.
 * The error bodies are ARM's `{error: {code, message}}`; the exact AKS wording is UNCONFIRMED (simulator/README.md).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createServingCertificate } from '../api/tls.ts';
import type { ObjectStore } from '../cluster/types.ts';
import type { ComponentContext, SimComponent, StartedComponent } from '../component.ts';
import { typeFor } from '../controllers/resource-lookup.ts';
import type { KnownKind } from '../controllers/resource-lookup.ts';
import { createIfMissing, waitForWorkloads } from '../flavors/bootstrap.ts';
import { aksIngressGatewayObjects } from '../flavors/istio-aks.ts';
import { istioCrds } from '../flavors/istio-crds.ts';
import { aksCniObjects, istiodDeployment, istiodObjects } from '../flavors/istio-install.ts';
import { namespace } from '../flavors/workloads.ts';
import { loadBalancerComponent } from '../ingress/load-balancer.ts';
import { aksIngressGateway } from '../mesh/istio/constants.ts';
import type { IstioLayout } from '../mesh/istio/constants.ts';
import { istioControlPlaneComponent } from '../mesh/istio/control-plane.ts';
import type { OsmLayout } from '../mesh/osm/constants.ts';

/** A revision the add-on offers, and the Kubernetes minors it supports (istio.md §8: asm-1-29 1.31–1.36, asm-1-30 1.32–1.36). */
export interface MeshRevision {
  revision: string;
  /** [first, last] supported Kubernetes minor (1.x). */
  kubernetes: readonly [number, number];
  /** The install this simulator has for it (undefined: listed, not installable here). */
  layout?: IstioLayout;
}

export interface AksManagementOptions {
  resourceId: string;
  kubernetesVersion: string;
  osm: OsmLayout;
  revisions: readonly MeshRevision[];
}

/** What `aks-management.json` holds (the ready message's `aksManagement`). */
export interface AksManagementAccess {
  endpoint: string;
  resourceId: string;
  tokenFile: string;
  caFile: string;
}

/** A string field of a request body ('' when absent or not a string; arrays are joined with commas). */
function field(body: Record<string, unknown>, name: string): string {
  const v = body[name];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string').join(',');
  return typeof v === 'string' ? v : '';
}

class ArmError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** 29 for `v1.29.2`. */
function minorOf(version: string): number {
  return Number(/^v?\d+\.(\d+)/.exec(version)?.[1] ?? 0);
}

/** The OSM add-on's manifests in its namespace: what `disable-addons` deletes (kind, label app.kubernetes.io/name=openservicemesh.io). */
const addonKinds: KnownKind[] = ['Deployment', 'Service', 'ServiceAccount'];

async function disableOsm(store: ObjectStore, layout: OsmLayout, log: (line: string) => void): Promise<string[]> {
  const removed: string[] = [];
  for (const kind of addonKinds) {
    const type = typeFor(store, kind);
    const owned = store.list(type, { namespace: layout.osmNamespace, labelSelector: 'app.kubernetes.io/name=openservicemesh.io' }).items;
    for (const o of owned) {
      await store.delete(type, layout.osmNamespace, o.metadata.name ?? '', { propagationPolicy: 'Background' }).catch(() => undefined);
      removed.push(`${kind} ${layout.osmNamespace}/${o.metadata.name ?? ''}`);
    }
  }
  log(`aks: OSM add-on disabled: removed ${removed.join(', ')}; left: webhook configurations, CRDs, MeshConfig, Secrets`);
  return removed;
}

/** The AKS management endpoint as a component of an aks-shaped flavor running the OSM add-on. */
export function aksManagementComponent(opts: AksManagementOptions): SimComponent {
  return {
    name: 'aks-management',
    async start(ctx: ComponentContext): Promise<StartedComponent> {
      const token = randomBytes(24).toString('base64url');
      const state = {
        osmEnabled: true,
        istio: undefined as { revision: string; layout: IstioLayout } | undefined,
        ingressGateways: [] as string[],
        busy: false,
      };
      const started: StartedComponent[] = [];
      // AKS's cloud provider gives every Service of type LoadBalancer an address from the start, whichever add-ons run
      // (a Gateway API Gateway's Service included, so a migration plan's gateway gets one).
      started.push(await loadBalancerComponent({ name: 'azure-load-balancer' }).start(ctx));
      const startComponent = async (c: SimComponent): Promise<void> => {
        started.push(await c.start(ctx));
        ctx.log(`aks: started ${c.name}`);
      };

      const show = (): Record<string, unknown> => ({
        id: opts.resourceId,
        name: opts.resourceId.split('/').pop(),
        type: 'Microsoft.ContainerService/ManagedClusters',
        kubernetesVersion: opts.kubernetesVersion.replace(/^v/, ''),
        provisioningState: 'Succeeded',
        addonProfiles: { openServiceMesh: { enabled: state.osmEnabled, config: {} } },
        serviceMeshProfile: state.istio
          ? { mode: 'Istio', istio: { revisions: [state.istio.revision], components: { ingressGateways: state.ingressGateways.map((mode) => ({ mode: mode === 'external' ? 'External' : 'Internal', enabled: true })) } } }
          : null,
      });

      const operations: Record<string, (body: Record<string, unknown>) => Promise<unknown>> = {
        async disableAddons(body) {
          const addons = field(body, 'addons').split(',').map((a) => a.trim()).filter(Boolean);
          if (!addons.length) throw new ArmError(400, 'InvalidParameter', 'addons: give the add-ons to disable, e.g. open-service-mesh');
          for (const addon of addons) {
            if (addon !== 'open-service-mesh') throw new ArmError(400, 'InvalidParameter', `The addon "${addon}" is not enabled on this simulated cluster (it has open-service-mesh)`);
          }
          if (state.osmEnabled) await disableOsm(ctx.store, opts.osm, (line) => ctx.log(line));
          state.osmEnabled = false;
          return show();
        },
        async meshEnable(body) {
          const revision = field(body, 'revision');
          const rev = opts.revisions.find((r) => r.revision === revision);
          if (!rev) throw new ArmError(400, 'InvalidParameter', `Revision "${revision}" is not a supported Istio revision; supported: ${opts.revisions.map((r) => r.revision).join(', ')} (az aks mesh get-revisions)`);
          if (state.osmEnabled) throw new ArmError(400, 'OperationNotAllowed', 'The Istio-based service mesh add-on cannot be enabled while the Open Service Mesh add-on is enabled: disable it first (az aks disable-addons --addons open-service-mesh)');
          const minor = minorOf(opts.kubernetesVersion);
          if (minor < rev.kubernetes[0] || minor > rev.kubernetes[1]) {
            throw new ArmError(400, 'InvalidParameter', `Revision ${revision} supports Kubernetes 1.${rev.kubernetes[0]} to 1.${rev.kubernetes[1]}; the cluster runs ${opts.kubernetesVersion}`);
          }
          if (state.istio) {
            if (state.istio.revision === revision) return show();
            throw new ArmError(400, 'OperationNotAllowed', `Istio is already enabled with revision ${state.istio.revision}; use az aks mesh upgrade to change revisions`);
          }
          if (!rev.layout) throw new ArmError(400, 'InvalidParameter', `Revision ${revision} is listed but this simulator installs only ${opts.revisions.filter((r) => r.layout).map((r) => r.revision).join(', ')}`);
          const layout = rev.layout;
          await startComponent(istioControlPlaneComponent(layout));
          for (const o of [namespace(layout.namespace), ...istioCrds(), ...istiodObjects(layout, ctx.hooks.mesh), ...aksCniObjects(layout)]) await createIfMissing(ctx.store, o);
          await waitForWorkloads(ctx.store, [istiodDeployment(layout)], 120_000);
          state.istio = { revision, layout };
          ctx.log(`aks: Istio add-on enabled with revision ${revision}`);
          return show();
        },
        async meshEnableIngressGateway(body) {
          const type = field(body, 'type') || 'external';
          if (!state.istio) throw new ArmError(400, 'OperationNotAllowed', 'The Istio-based service mesh add-on is not enabled (az aks mesh enable --revision <revision>)');
          if (type !== 'external') throw new ArmError(400, 'InvalidParameter', `ingress gateway type "${type}": this simulator offers the external gateway only`);
          if (!state.ingressGateways.includes(type)) {
            for (const o of [namespace(aksIngressGateway.namespace), ...aksIngressGatewayObjects(state.istio.layout)]) await createIfMissing(ctx.store, o);
            await waitForWorkloads(ctx.store, [{ namespace: aksIngressGateway.namespace, name: `${aksIngressGateway.name}-${state.istio.revision}` }], 120_000);
            state.ingressGateways.push(type);
          }
          return show();
        },
      };

      const cert = await createServingCertificate();
      const send = (res: ServerResponse, status: number, body: unknown): void => {
        const text = JSON.stringify(body, null, 2);
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      };
      const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
        const given = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
        const a = Buffer.from(given);
        const b = Buffer.from(token);
        if (a.length !== b.length || !timingSafeEqual(a, b)) {
          res.setHeader('www-authenticate', 'Bearer');
          send(res, 401, { error: { code: 'AuthenticationFailed', message: 'Authentication failed. The Authorization header is missing or its bearer token is not valid.' } });
          return;
        }
        const path = new URL(req.url ?? '/', 'https://management').pathname.replace(/\/+$/, '');
        if (!path.startsWith(opts.resourceId)) {
          send(res, 404, { error: { code: 'ResourceNotFound', message: `The Resource '${path}' was not found.` } });
          return;
        }
        const action = path.slice(opts.resourceId.length).replace(/^\//, '');
        try {
          if (req.method === 'GET' && action === '') return send(res, 200, show());
          if (req.method === 'GET' && action === 'meshRevisions') {
            return send(res, 200, { meshRevisions: opts.revisions.map((r) => ({ revision: r.revision, compatibleWith: [{ name: 'kubernetes', versions: Array.from({ length: r.kubernetes[1] - r.kubernetes[0] + 1 }, (_, i) => `1.${r.kubernetes[0] + i}`) }] })) });
          }
          const op = operations[action];
          if (req.method !== 'POST' || !op) return send(res, 404, { error: { code: 'NotFound', message: `No operation ${req.method ?? ''} ${action || '(none)'}; operations: GET, GET meshRevisions, POST ${Object.keys(operations).join(', POST ')}` } });
          const chunks: Buffer[] = [];
          for await (const c of req) chunks.push(c as Buffer);
          let body: Record<string, unknown> = {};
          try {
            body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
          } catch {
            throw new ArmError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized: expected a JSON object.');
          }
          if (state.busy) throw new ArmError(409, 'OperationNotAllowed', 'Operation is not allowed because there\'s an in progress operation on the managed cluster.');
          state.busy = true;
          try {
            send(res, 200, await op(body));
          } finally {
            state.busy = false;
          }
        } catch (error) {
          if (error instanceof ArmError) send(res, error.status, { error: { code: error.code, message: error.message } });
          else send(res, 500, { error: { code: 'InternalOperationError', message: error instanceof Error ? error.message : String(error) } });
        }
      };
      const server = createServer({ key: cert.keyPem, cert: cert.certPem }, (req, res) => void handle(req, res));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
      const port = (server.address() as AddressInfo).port;
      const access: AksManagementAccess = {
        endpoint: `https://127.0.0.1:${port}`,
        resourceId: opts.resourceId,
        tokenFile: join(ctx.dir, 'aks-management-token'),
        caFile: join(ctx.dir, 'aks-management-ca.crt'),
      };
      writeFileSync(access.tokenFile, `${token}\n`, { mode: 0o600 });
      writeFileSync(access.caFile, cert.caPem);
      writeFileSync(join(ctx.dir, 'aks-management.json'), `${JSON.stringify(access, null, 2)}\n`);
      ctx.log(`aks management endpoint on ${access.endpoint}`);
      return {
        offers: { aksManagement: access },
        async stop() {
          await new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          });
          for (const c of started.splice(0).reverse()) await c.stop();
        },
      };
    },
  };
}
