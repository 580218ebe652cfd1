import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** Cold imports measured; the median is reported. */
export const COLD_RUNS = 10;

/** The createRequire banner serverless.yml puts on the ESM bundle (pino calls require()). */
const BANNER = "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);";

/**
 * The `alias:` map under `custom.esbuild` in serverless.yml, so the bench bundles what deploys (the
 * other options are mirrored below). A small line reader, not a YAML parser: `key: value` lines indented
 * under `alias:`.
 */
export function esbuildAliases(serverlessYml: string): Record<string, string> {
  const lines = serverlessYml.split('\n');
  const start = lines.findIndex((l) => /^\s+alias:\s*$/.test(l));
  if (start < 0) return {};
  const indent = (lines[start] ?? '').search(/\S/);
  const aliases: Record<string, string> = {};
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    if (line.search(/\S/) <= indent) break;
    const match = /^\s+'?([^':]+)'?:\s*(\S+)\s*$/.exec(line);
    if (match?.[1] && match[2]) aliases[match[1]] = match[2];
  }
  return aliases;
}

export interface ColdStartResult {
  readonly bundleBytes: number;
  readonly importMs: readonly number[];
  readonly medianImportMs: number;
}

/**
 * Bundles handlers/cleanup.ts as serverless.yml does (esbuild: ESM, minified, platform node, target
 * node22, the createRequire banner, its aliases, nothing external) and times `import()` of it from an `.mjs` file in
 * a fresh node process, COLD_RUNS times. An .mjs runner, not `node -e`: `-e` defines a global require
 * that would hide a missing banner.
 */
export async function runColdStartScenario(): Promise<ColdStartResult> {
  const dir = await mkdtemp(join(tmpdir(), 'tag-cleanup-bench-'));
  try {
    const bundle = join(dir, 'cleanup.mjs');
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const alias = Object.fromEntries(
      Object.entries(esbuildAliases(await readFile(join(root, 'serverless.yml'), 'utf8'))).map(([from, to]) => [
        from,
        to.startsWith('.') ? join(root, to) : to,
      ]),
    );
    await build({
      entryPoints: [fileURLToPath(new URL('../../handlers/cleanup.ts', import.meta.url))],
      outfile: bundle,
      bundle: true,
      minify: true,
      sourcemap: false,
      format: 'esm',
      platform: 'node',
      target: 'node22',
      mainFields: ['module', 'main'],
      banner: { js: BANNER },
      alias,
      logLevel: 'silent',
    });
    const runner = join(dir, 'import-once.mjs');
    await writeFile(
      runner,
      [
        'const t0 = performance.now();',
        "const mod = await import('./cleanup.mjs');",
        'const ms = performance.now() - t0;',
        "if (typeof mod.handler !== 'function') throw new Error('the bundle exports no handler');",
        'process.stdout.write(String(ms));',
        '',
      ].join('\n'),
    );
    const importMs: number[] = [];
    for (let i = 0; i < COLD_RUNS; i++) {
      const run = spawnSync(process.execPath, [runner], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 30_000,
        env: { PATH: process.env.PATH ?? '', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      });
      const ms = Number(run.stdout);
      if (run.status !== 0 || !Number.isFinite(ms)) {
        throw new Error(`cold import failed (status ${run.status}): ${run.stderr.slice(0, 500)}`);
      }
      importMs.push(ms);
    }
    return { bundleBytes: (await stat(bundle)).size, importMs, medianImportMs: median(importMs) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  return sorted.length % 2 === 0
    ? ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2
    : (sorted[Math.floor(mid)] ?? Number.NaN);
}
