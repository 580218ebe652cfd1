#!/usr/bin/env node
// The CLI runs the TypeScript sources through tsx; the Lambda gets an esbuild bundle instead.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../handlers/cli.ts');
process.exitCode = await main(process.argv.slice(2));
