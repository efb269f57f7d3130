// One Kubernetes version per flavor: the API server's /version, every node's kubeletVersion and, for kind, what
// kind-up creates (scripts/lib/versions.mjs); the simulated ingress-nginx is the controller of the chart kind-up pins.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flavorNamed, flavorNames } from './flavors/index.ts';
import { istioKubernetesVersion } from './flavors/istio-kind.ts';
import { ingressNginxImage, ingressNginxVersion, kindKubernetesVersion } from './flavors/kind.ts';
import { defaultKubernetesVersion } from './flavors/nodes.ts';
import { noHooks } from './hooks.ts';

/** The controller version of each ingress-nginx chart version (the chart's appVersion); add a line when bumping the chart. */
const ingressNginxAppVersion: Record<string, string> = { '4.7.1': '1.8.1' };

interface PinnedVersions { kindNodeImage: string; ingressNginxChart: string }

/** scripts/lib/versions.mjs: a plain-JS module without types, imported by URL so the compiler asks for no declaration file. */
async function pinnedVersions(): Promise<{ versions: PinnedVersions; istioVersions: { kindNodeImage: string } }> {
  return await import(new URL('../../scripts/lib/versions.mjs', import.meta.url).href) as { versions: PinnedVersions; istioVersions: { kindNodeImage: string } };
}

test('every node of a flavor reports the flavor\'s Kubernetes version', () => {
  for (const name of flavorNames) {
    const flavor = flavorNamed(name);
    const version = flavor.kubernetesVersion ?? defaultKubernetesVersion;
    for (const node of flavor.nodes(noHooks)) {
      const info = (node.status as { nodeInfo: { kubeletVersion: string; kubeProxyVersion: string } }).nodeInfo;
      assert.equal(info.kubeletVersion, version, `${name}: node ${node.metadata.name}`);
      assert.equal(info.kubeProxyVersion, version, `${name}: node ${node.metadata.name}`);
    }
  }
});

test('the kind flavor is what kind-up creates: node image and the ingress-nginx chart\'s controller', async () => {
  const { versions } = await pinnedVersions();
  assert.equal(`kindest/node:${kindKubernetesVersion}`, versions.kindNodeImage);
  assert.equal(flavorNamed('kind').kubernetesVersion, kindKubernetesVersion);
  const app = ingressNginxAppVersion[versions.ingressNginxChart];
  assert.ok(app, `add the appVersion of ingress-nginx chart ${versions.ingressNginxChart} to ingressNginxAppVersion`);
  assert.equal(ingressNginxVersion, app);
  assert.equal(ingressNginxImage, `registry.k8s.io/ingress-nginx/controller:v${app}`);
  const deployment = flavorNamed('kind').objects(noHooks).find((o) => o.kind === 'Deployment' && o.metadata.name === 'ingress-nginx-controller');
  assert.equal(deployment?.metadata.labels?.['app.kubernetes.io/version'], app);
});

test('the istio-kind flavor runs the Kubernetes of the node image `kind-up --mesh istio` pins', async () => {
  const { istioVersions } = await pinnedVersions();
  assert.match(istioVersions.kindNodeImage, new RegExp(`^kindest/node:${istioKubernetesVersion.replaceAll('.', '\\.')}(@|$)`));
  assert.equal(flavorNamed('istio-kind').kubernetesVersion, istioKubernetesVersion);
});
