/**
 * How simulated clusters are named: a mesh (`--mesh`) on a cluster shape (`--flavor`), registered as one flavor.
 * OSM keeps the plain shape names it always had (`kind`, `aks`); every other mesh prefixes its name
 * (`istio-kind`, `istio-aks`). Dependency-free, so fault modules can name flavors without importing them.
 */

/** The meshes the simulator can run (`--mesh`); the first is the default. */
export const meshNames = ['osm', 'istio'] as const;
export type MeshName = (typeof meshNames)[number];

/** The cluster shapes (`--flavor`): a kind cluster, or an AKS cluster with the mesh's add-on. */
export const clusterShapes = ['kind', 'aks'] as const;
export type ClusterShape = (typeof clusterShapes)[number];

/** Every registered flavor, in registration order. */
export const flavorNames = ['kind', 'aks', 'istio-kind', 'istio-aks'] as const;
export type FlavorName = (typeof flavorNames)[number];

/** The OSM flavors (what every fault written before Istio applies to). */
export const osmFlavors = ['kind', 'aks'] as const satisfies readonly FlavorName[];
/** The Istio flavors. */
export const istioFlavors = ['istio-kind', 'istio-aks'] as const satisfies readonly FlavorName[];

export function isMeshName(name: string): name is MeshName {
  return (meshNames as readonly string[]).includes(name);
}

export function isClusterShape(name: string): name is ClusterShape {
  return (clusterShapes as readonly string[]).includes(name);
}

export function isFlavorName(name: string): name is FlavorName {
  return (flavorNames as readonly string[]).includes(name);
}

/** The registered flavor of a mesh on a cluster shape: `kind` for OSM on kind, `istio-aks` for Istio on AKS. */
export function flavorNameFor(mesh: MeshName, shape: ClusterShape): FlavorName {
  const name = mesh === 'osm' ? shape : `${String(mesh)}-${shape}`;
  if (!isFlavorName(name)) throw new Error(`no flavor runs ${mesh} on ${shape}`);
  return name;
}

/** The inverse of flavorNameFor. */
export function meshAndShapeOf(name: FlavorName): { mesh: MeshName; shape: ClusterShape } {
  const [first, second] = name.split('-') as [string, string | undefined];
  return second === undefined ? { mesh: 'osm', shape: first as ClusterShape } : { mesh: first as MeshName, shape: second as ClusterShape };
}

/** The command-line options that select a flavor: `--flavor kind`, or `--mesh istio --flavor kind`. */
export function flavorFlags(name: FlavorName): string {
  const { mesh, shape } = meshAndShapeOf(name);
  return mesh === 'osm' ? `--flavor ${shape}` : `--mesh ${String(mesh)} --flavor ${shape}`;
}
