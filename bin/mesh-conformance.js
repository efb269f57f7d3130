#!/usr/bin/env node
// The `mesh-conformance` command: registers tsx so the TypeScript CLI runs as is, then hands over to it.
import process from 'node:process';
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
const code = await main(process.argv.slice(2));
// The command is over: a socket a proxy never answered, or a credential plugin's pipe, must not keep it alive.
process.exit(code);
