/**
 * OSM v1.2's default certificate provider, Tresor (docs/certificates.md): a self-signed root
 * `CN=osm-ca.openservicemesh.io, O=Open Service Mesh, C=US, L=CA`, valid 87600 h (`pkg/constants`
 * CertificationAuthorityRootValidityPeriod), kept in the Secret named by `--ca-bundle-secret-name` (`osm-ca-bundle`,
 * keys `ca.crt` and `private.key`, `pkg/certificate/castorage/k8s`), which the first control-plane component to start
 * creates; and per service account a service certificate with `CN` and DNS SAN `<sa>.<ns>.<trust domain>`
 * (`pkg/certificate/options.go` formatCN, `providers/tresor/certificate_manager.go`), O=Open Service Mesh, RSA of
 * MeshConfig `certificate.certKeyBitSize`, valid from now for `certificate.serviceCertValidityDuration`.
 *
 * The fault foreign-ca-certificate makes it sign service certificates with another CA than the one in osm-ca-bundle.
 */
import type { KubeObject, ObjectStore } from '../../cluster/types.ts';
import { ApiError } from '../../cluster/types.ts';
import { obj, str } from '../../controllers/kube-objects.ts';
import { typeFor } from '../../controllers/resource-lookup.ts';
import type { MeshHooks } from '../../hooks.ts';
import type { IssuedCertificate, SigningCa } from '../certificate-authority.ts';
import { createRoot, issueLeaf, parseGoDuration } from '../certificate-authority.ts';
import type { OsmLayout } from './constants.ts';
import type { MeshView } from './mesh-view.ts';

export const caBundleSecretName = 'osm-ca-bundle';
export const trustDomain = 'cluster.local';
const rootValidityMs = 87_600 * 3600_000;
const defaultServiceCertValidityMs = 24 * 3600_000;

const rootSubject = [
  { name: 'commonName', value: 'osm-ca.openservicemesh.io' },
  { name: 'countryName', value: 'US' },
  { name: 'localityName', value: 'CA' },
  { name: 'organizationName', value: 'Open Service Mesh' },
];

/** The SDS resource names OSM gives a proxy's certificates (`pkg/envoy/secrets`): `service-cert:<ns>/<sa>`, `root-cert-for-mtls-inbound:<ns>/<sa>`. */
export function sdsSecretNames(namespace: string, serviceAccount: string): { service: string; rootInbound: string } {
  return { service: `service-cert:${namespace}/${serviceAccount}`, rootInbound: `root-cert-for-mtls-inbound:${namespace}/${serviceAccount}` };
}

export class TresorCa {
  private readonly issued = new Map<string, Promise<IssuedCertificate>>();
  private unsubscribe: (() => void) | undefined;

  private constructor(private readonly root: SigningCa, private readonly signer: SigningCa, private readonly view: MeshView) {}

  /** Creates the root (and, with the fault, a foreign signer) and writes osm-ca-bundle once the control plane runs. */
  static async start(o: { store: ObjectStore; view: MeshView; layout: OsmLayout; hooks: MeshHooks; log?: (line: string) => void }): Promise<TresorCa> {
    const make = (): Promise<SigningCa> => createRoot({ subject: rootSubject, validityMs: o.hooks.rootCaValidityMs ?? rootValidityMs, keyType: 'rsa' });
    const root = await make();
    const ca = new TresorCa(root, o.hooks.foreignWorkloadCa ? await make() : root, o.view);
    ca.writeSecretWhenRunning(o.store, o.layout, o.log);
    return ca;
  }

  get rootPem(): string {
    return this.root.certPem;
  }

  /** The service certificate of a proxy's identity (cached per identity, as the certificate manager caches by CN prefix). */
  issue(namespace: string, serviceAccount: string): Promise<IssuedCertificate> {
    const cn = `${serviceAccount}.${namespace}.${trustDomain}`;
    let cert = this.issued.get(cn);
    if (!cert) {
      const certSpec = obj(obj(this.view.meshConfig()?.['spec'])['certificate']);
      const validityMs = parseGoDuration(str(certSpec['serviceCertValidityDuration']) ?? '') ?? defaultServiceCertValidityMs;
      cert = issueLeaf(this.signer, {
        subject: [{ name: 'commonName', value: cn }, { name: 'organizationName', value: 'Open Service Mesh' }],
        altNames: [{ type: 2, value: cn }], validityMs, backdateMs: 0, keyType: 'rsa',
      }).then((c) => ({ ...c, rootPem: this.signer.certPem }));
      this.issued.set(cn, cert);
    }
    return cert;
  }

  /**
   * A certificate for an ingress gateway (`pkg/ingress/gateway.go` createAndStoreGatewayCert): CN and DNS SAN the first
   * of MeshConfig `certificate.ingressGateway.subjectAltNames` (OSM supports one SAN per certificate), valid for its
   * `validityDuration`, signed like a service certificate; never cached (upstream releases the cached one first).
   */
  async issueGateway(san: string, validityMs: number): Promise<IssuedCertificate> {
    const cert = await issueLeaf(this.signer, {
      subject: [{ name: 'commonName', value: san }, { name: 'organizationName', value: 'Open Service Mesh' }],
      altNames: [{ type: 2, value: san }], validityMs, backdateMs: 0, keyType: 'rsa',
    });
    return { ...cert, rootPem: this.signer.certPem };
  }

  stop(): void {
    this.unsubscribe?.();
  }

  /** `GetCertificateFromSecret`: the first of osm-controller / osm-injector to run creates the Secret; AlreadyExists is fine. */
  private writeSecretWhenRunning(store: ObjectStore, layout: OsmLayout, log?: (line: string) => void): void {
    const ns = layout.osmNamespace;
    const running = (): boolean => this.view.componentReachable('osm-controller') || this.view.componentReachable('osm-injector');
    const write = (): void => {
      this.unsubscribe?.();
      this.unsubscribe = undefined;
      const secret: KubeObject = {
        apiVersion: 'v1', kind: 'Secret', type: 'Opaque',
        metadata: { name: caBundleSecretName, namespace: ns, labels: { 'app.kubernetes.io/name': 'openservicemesh.io', 'app.kubernetes.io/version': layout.osmVersion } },
        data: { 'ca.crt': Buffer.from(this.root.certPem).toString('base64'), 'private.key': Buffer.from(this.root.keyPem).toString('base64') },
      };
      store.create(typeFor(store, 'Secret'), secret).catch((e: unknown) => {
        if (!(e instanceof ApiError)) log?.(`osm: cannot write ${ns}/${caBundleSecretName}: ${String(e)}`);
      });
    };
    if (running()) {
      write();
      return;
    }
    this.unsubscribe = store.onChange((event) => {
      if (event.object.kind === 'Endpoints' && running()) write();
    });
  }
}
