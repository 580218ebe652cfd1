#!/usr/bin/env node
// Runs the prebuilt bundle (dist/cli, built by `npm run build`, which `npm ci` runs through `prepare`), so
// the CLI starts without compiling TypeScript. Without a bundle it falls back to the sources through tsx.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = new URL('../dist/cli/cli.js', import.meta.url);
const paths = { examplesDir: fileURLToPath(new URL('../examples', import.meta.url)) };
if (existsSync(bundle)) {
  const { runCliProcess } = await import(bundle.href);
  await runCliProcess(process.argv.slice(2), paths);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  const { runCliProcess } = await import('../handlers/cli.ts');
  await runCliProcess(process.argv.slice(2), paths);
}
