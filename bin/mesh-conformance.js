#!/usr/bin/env node
// The `mesh-conformance` command: registers tsx so the TypeScript CLI runs as is, then hands over to it.
import process from 'node:process';
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
