/**
 * The mesh profiles the harness knows: the one place a new mesh is registered (add its folder, then one line
 * here). Nothing outside a profile's folder and this registry imports a profile's modules (eslint enforces it).
 */
import type { Target } from '../config/targets.ts';
import type { MeshProfileFactory } from './mesh-factory.ts';
import type { MeshProfile } from './mesh-profile.ts';
import { istio } from './istio/index.ts';
import { osm } from './osm/index.ts';

export const meshProfiles = [osm, istio] as const satisfies readonly MeshProfileFactory[];

export type MeshName = (typeof meshProfiles)[number]['name'];
export const meshNames = meshProfiles.map((m) => m.name) as [MeshName, ...MeshName[]];

/** The factory of a registered mesh. */
export function meshFactory(name: MeshName): MeshProfileFactory {
  const f = meshProfiles.find((m) => m.name === name);
  if (!f) throw new Error(`unknown mesh ${name}`);
  return f;
}

/** The profile of a resolved configuration. */
export function createMeshProfile(c: { mesh: MeshName; meshNamespace: string; meshName: string; meshRevision: string | undefined; target: Target }): MeshProfile {
  return meshFactory(c.mesh).create({ namespace: c.meshNamespace, meshName: c.meshName, revision: c.meshRevision, target: c.target });
}
