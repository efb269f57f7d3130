// Module loader hook (registered by config-file.ts): a config file imported with `?mesh-conformance-config=esm`
// is loaded as an ES module whatever its package says ("type" absent means CommonJS, where `export default` and a
// top-level await fail with "Cannot require() ES Module … in a cycle"). Runs before tsx's hook, which compiles it.
export async function load(url, context, nextLoad) {
  if (url.includes('mesh-conformance-config=esm')) return nextLoad(url, { ...context, format: 'module' });
  return nextLoad(url, context);
}
