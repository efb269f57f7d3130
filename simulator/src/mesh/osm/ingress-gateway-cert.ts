/**
 * osm-controller's ingress gateway certificate (OSM `pkg/ingress/gateway.go`, provisionIngressGatewayCert): when
 * MeshConfig `spec.certificate.ingressGateway` names SANs, a validity and a Secret, osm-controller issues a certificate
 * from its CA (Tresor here) for the first SAN and stores it in that Secret, type `kubernetes.io/tls`, keys `ca.crt`
 * (the issuing CA), `tls.crt` and `tls.key` (created, or updated when it exists). A changed spec issues again; a
 * removed spec deletes the Secret it had written. An invalid spec (no SAN, a duration Go cannot parse, no secret
 * name or namespace) is logged and nothing is written. An ingress controller presents this certificate to the
 * sidecars of an https IngressBackend (inbound-policy.ts), whose `AuthenticatedPrincipal` source names the SAN.
 *
 * The fault ingress-gateway-cert-not-issued keeps osm-controller from writing the Secret.
 */
import type { KubeObject, ObjectStore } from '../../cluster/types.ts';
import { ApiError } from '../../cluster/types.ts';
import { obj, str } from '../../controllers/kube-objects.ts';
import { typeFor } from '../../controllers/resource-lookup.ts';
import type { MeshHooks } from '../../hooks.ts';
import { parseGoDuration } from '../certificate-authority.ts';
import type { MeshView } from './mesh-view.ts';
import type { TresorCa } from './tresor.ts';

/** The parts of `certificate.ingressGateway` osm-controller acts on. */
export interface IngressGatewayCertSpec {
  san: string;
  validityMs: number;
  secret: { name: string; namespace: string };
}

/** The spec of a MeshConfig, or why osm-controller would refuse it (undefined: none is set). */
export function ingressGatewayCertSpec(meshConfig: KubeObject | undefined): IngressGatewayCertSpec | { invalid: string } | undefined {
  const raw = obj(obj(meshConfig?.['spec'])['certificate'])['ingressGateway'];
  if (raw === undefined || raw === null) return undefined;
  const spec = obj(raw);
  const sans: unknown[] = Array.isArray(spec['subjectAltNames']) ? spec['subjectAltNames'] : [];
  const san = str(sans[0]);
  if (!san) return { invalid: 'Ingress gateway certificate spec must specify at least 1 SAN' };
  const duration = str(spec['validityDuration']) ?? '';
  const validityMs = parseGoDuration(duration);
  if (validityMs === undefined) return { invalid: `Invalid cert duration '${duration}' specified` };
  const secret = obj(spec['secret']);
  const name = str(secret['name']) ?? '';
  const namespace = str(secret['namespace']) ?? '';
  if (!name || !namespace) return { invalid: `Ingress gateway cert secret's name and namespace cannot be nil, got ${namespace}/${name}` };
  return { san, validityMs, secret: { name, namespace } };
}

export class IngressGatewayCertController {
  private current: IngressGatewayCertSpec | undefined;
  private currentKey = 'null';
  private queue: Promise<void> = Promise.resolve();
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly o: { store: ObjectStore; view: MeshView; ca: TresorCa; hooks: MeshHooks; log?: (line: string) => void }) {}

  start(): this {
    this.reconcile();
    this.unsubscribe = this.o.store.onChange((event) => {
      if (event.object.kind === 'MeshConfig' || event.object.kind === 'Endpoints') this.reconcile();
    });
    return this;
  }

  stop(): void {
    this.unsubscribe?.();
  }

  /** Resolves when the writes decided so far are done (tests). */
  whenIdle(): Promise<void> {
    return this.queue;
  }

  /** osm-controller acts on the spec while it runs; a spec changed while it was down is acted on once it is back. */
  private reconcile(): void {
    if (!this.o.view.componentReachable('osm-controller')) return;
    const spec = ingressGatewayCertSpec(this.o.view.meshConfig());
    const key = JSON.stringify(spec ?? null);
    if (key === this.currentKey) return;
    this.currentKey = key;
    const previous = this.current;
    this.current = spec && !('invalid' in spec) ? spec : undefined;
    this.queue = this.queue.then(async () => {
      if (spec && 'invalid' in spec) {
        this.o.log?.(`osm-controller: Error updating ingress gateway cert and secret: ${spec.invalid}`);
        return;
      }
      if (!spec) {
        if (previous) await this.remove(previous);
        return;
      }
      if (this.o.hooks.ingressGatewayCertNotIssued) return;
      await this.store(spec);
    }).catch((err: unknown) => this.o.log?.(`osm-controller: ingress gateway certificate: ${String(err)}`));
  }

  private async store(spec: IngressGatewayCertSpec): Promise<void> {
    const cert = await this.o.ca.issueGateway(spec.san, spec.validityMs);
    const b64 = (text: string): string => Buffer.from(text).toString('base64');
    const secret: KubeObject = {
      apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls',
      metadata: { name: spec.secret.name, namespace: spec.secret.namespace },
      data: { 'ca.crt': b64(cert.rootPem), 'tls.crt': b64(cert.certPem), 'tls.key': b64(cert.keyPem) },
    };
    const type = typeFor(this.o.store, 'Secret');
    try {
      await this.o.store.create(type, secret);
    } catch (err) {
      if (!(err instanceof ApiError) || err.code !== 409) throw err;
      await this.o.store.mutate(type, spec.secret.namespace, spec.secret.name, (s) => {
        s['type'] = secret['type'];
        s['data'] = secret['data'];
      });
    }
  }

  private async remove(spec: IngressGatewayCertSpec): Promise<void> {
    try {
      await this.o.store.delete(typeFor(this.o.store, 'Secret'), spec.secret.namespace, spec.secret.name);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      this.o.log?.(`osm-controller: Error removing stale gateway certificate/secret: ${err.message}`);
    }
  }
}
