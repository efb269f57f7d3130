// The CLI's entry point, as bin/mesh-conformance.js and the container image run it: bundled ahead of time into one
// JavaScript file (dist/mesh-conformance.mjs, `npm run build`: scripts/build.mjs, esbuild) that plain Node runs, or
// these sources through tsx when the bundle is missing or older than them (bin/prebuilt.js).
// The bundle lives in dist/, one level below the package root, as cli/ is: paths resolved from import.meta.url
// (cli/paths.ts, harness/version.ts) point at the same files either way.
import process from 'node:process';
import { main } from './main.ts';

const code = await main(process.argv.slice(2));
// The command is over: a socket a proxy never answered, or a credential plugin's pipe, must not keep it alive.
process.exit(code);
