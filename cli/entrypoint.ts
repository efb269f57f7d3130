// The entrypoint of the container image: the CLI bundled ahead of time as one JavaScript file (`npm run build`, esbuild),
// so the image runs it with plain Node, without tsx. bin/mesh-conformance.js is the same for a checkout (with tsx).
// The bundle lives in dist/, one level below the package root, as cli/ is: paths resolved from import.meta.url
// (cli/paths.ts, harness/version.ts) point at the same files either way.
import process from 'node:process';
import { main } from './main.ts';

process.exitCode = await main(process.argv.slice(2));
