/**
 * Flagger's Canary CustomResourceDefinition, `canaries.flagger.app`, served at v1beta1 (the version Flagger's
 * clientset reads and writes: pkg/apis/flagger/v1beta1; artifacts/flagger/crd.yaml). Transcribed loosely: the spec
 * fields the simulated controller reads are listed, anything else is preserved; the printer columns are the first
 * three of upstream's (Status, Weight, LastTransitionTime; the rest there have priority 1). Installed by the flavors
 * that run Flagger (kind), as Flagger's Helm chart installs it (`crd.create: true`).
 */
import type { KubeObject } from '../cluster/types.ts';
import { crd, integer, open, string } from '../flavors/crd-builder.ts';

export const canaryGroup = 'flagger.app';
export const canaryVersion = 'v1beta1';

export function canaryCrd(): KubeObject {
  return crd({
    group: canaryGroup, kind: 'Canary', plural: 'canaries', shortNames: ['canary'], categories: ['all'],
    labels: { 'app.kubernetes.io/name': 'flagger' },
    versions: [{
      name: canaryVersion, storage: true,
      columns: [
        { name: 'Status', type: 'string', jsonPath: '.status.phase' },
        { name: 'Weight', type: 'string', jsonPath: '.status.canaryWeight' },
        { name: 'LastTransitionTime', type: 'string', jsonPath: '.status.lastTransitionTime' },
      ],
    }],
    spec: open({
      provider: string,
      targetRef: open({ apiVersion: string, kind: string, name: string }),
      progressDeadlineSeconds: integer,
      service: open({ name: string, port: integer, portName: string, targetPort: { 'x-kubernetes-int-or-string': true } }),
      analysis: open({ interval: string, threshold: integer, maxWeight: integer, stepWeight: integer }),
      skipAnalysis: { type: 'boolean' },
      revertOnDeletion: { type: 'boolean' },
    }),
  });
}
