/**
 * The mesh configuration (`istio-<rev>` ConfigMap, key `mesh`) as the istiod chart renders it with default values,
 * and the few settings the simulated istiod reads back from it (so editing the ConfigMap changes its behaviour).
 */
import { parse } from 'yaml';
import type { KubeObject } from '../../cluster/types.ts';
import { istiodName, trustDomain } from './constants.ts';
import type { IstioLayout } from './constants.ts';

/** The `mesh` key of `istio-<rev>` (istiod/templates/configmap.yaml with default values). */
export function renderMeshConfig(layout: IstioLayout, revision: string): string {
  return [
    'defaultConfig:',
    `  discoveryAddress: ${istiodName({ revision })}.${layout.namespace}.svc:15012`,
    'defaultProviders:',
    '  metrics:',
    '  - prometheus',
    'enablePrometheusMerge: true',
    `rootNamespace: ${layout.namespace}`,
    `trustDomain: ${trustDomain}`,
    '',
  ].join('\n');
}

/** What the emulation reads from the mesh config. */
export interface MeshSettings {
  rootNamespace: string;
  enableAutoMtls: boolean;
  enablePrometheusMerge: boolean;
}

/** Reads the settings from the `istio-<rev>` ConfigMap; defaults where absent (istio.md §4: rootNamespace is istiod's). */
export function meshSettings(configMap: KubeObject | undefined, layout: IstioLayout): MeshSettings {
  let mesh: Record<string, unknown> = {};
  try {
    const text = (configMap?.['data'] as Record<string, string> | undefined)?.['mesh'];
    const parsed: unknown = text ? parse(text) : {};
    if (parsed && typeof parsed === 'object') mesh = parsed as Record<string, unknown>;
  } catch {
    mesh = {};
  }
  return {
    rootNamespace: typeof mesh['rootNamespace'] === 'string' ? mesh['rootNamespace'] : layout.namespace,
    enableAutoMtls: mesh['enableAutoMtls'] !== false,
    enablePrometheusMerge: mesh['enablePrometheusMerge'] !== false,
  };
}
