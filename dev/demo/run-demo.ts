import { join } from 'node:path';
import { staticCredentials } from '../../lib/alibaba/credentials.ts';
import { runCommand } from '../../lib/cli/run-command.ts';
import { EMULATOR_ACCESS_KEY_ID, EMULATOR_ACCESS_KEY_SECRET } from '../emulator/defaults.ts';
import type { FaultOptions } from '../emulator/faults.ts';
import { type EmulatorStats, type InventoryFile, loadInventory, startEmulator } from '../emulator/server.ts';
import { exampleManifests } from '../local/example-manifests.ts';

export interface DemoOptions {
  /** Folder holding `inventory.json` and `manifests/*.json`. */
  readonly examplesDir: string;
  readonly faults: FaultOptions;
  readonly seed: number;
  /** Account flow control of the emulator, calls per second. */
  readonly emulatorMaxQps: number;
  readonly logLevel: string;
}

/**
 * `npm start`: the real pipeline over HTTP against the local emulator seeded from `examples/`, with a
 * little fault injection so retries show. Prints outcomes, summaries, and the tags before and after.
 * Exits 0 when the run completed with one outcome per resource (the examples fail some on purpose).
 */
export async function runDemo(
  options: DemoOptions,
  io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream },
): Promise<number> {
  const inventory = await loadInventory(join(options.examplesDir, 'inventory.json'));
  const files = await exampleManifests(options.examplesDir);
  const emulator = await startEmulator({
    inventory,
    faults: options.faults,
    seed: options.seed,
    maxQps: options.emulatorMaxQps,
    accounts: [{ accessKeyId: EMULATOR_ACCESS_KEY_ID, accessKeySecret: EMULATOR_ACCESS_KEY_SECRET }],
  });
  // Human text goes to stderr when stdout is a pipe, so stdout stays pure NDJSON.
  const human = io.stdout.isTTY ? io.stdout : io.stderr;
  try {
    human.write(
      `ECS emulator on ${emulator.url} (seeded from examples/inventory.json; faults ${JSON.stringify(options.faults)})\n` +
        `running ${files.length} manifest(s) from examples/manifests\n\n`,
    );
    const before = emulator.snapshot();
    const { exitCode, report } = await runCommand(
      {
        files,
        dryRun: false,
        endpoint: emulator.url,
        concurrency: 8,
        maxAttempts: 6,
        requestTimeoutMs: 2000,
        maxResources: 10_000,
        logLevel: options.logLevel,
      },
      {
        ...io,
        credentials: staticCredentials({
          accessKeyId: EMULATOR_ACCESS_KEY_ID,
          accessKeySecret: EMULATOR_ACCESS_KEY_SECRET,
        }),
      },
    );
    const touched = new Set((report?.outcomes ?? []).map((o) => `${o.regionId}/${o.resourceType}/${o.resourceId}`));
    human.write(`\nTags before → after (emulator state):\n${renderDiff(before, emulator.snapshot(), touched)}\n`);
    human.write(
      `${describeStats(emulator.stats())}\n` +
        `\`tag-cleanup run\` would exit ${exitCode} (0 = every resource removed; the examples fail some on purpose)\n`,
    );
    return exitCode === 2 || report?.fatal ? 1 : 0;
  } finally {
    await emulator.close();
  }
}

function describeStats(stats: EmulatorStats): string {
  const errors = Object.entries(stats.errorsByCode)
    .map(([code, n]) => `${n} ${code}`)
    .join(', ');
  return `emulator saw ${stats.requests} request(s): ${stats.ok} ok, ${stats.resets} reset, ${errors || 'no errors'}`;
}

function renderDiff(before: InventoryFile, after: InventoryFile, touched: ReadonlySet<string>): string {
  const afterByKey = new Map(after.resources.map((r) => [`${r.regionId}/${r.resourceType}/${r.resourceId}`, r.tags]));
  const fmt = (tags: Readonly<Record<string, string>> | undefined) =>
    tags === undefined
      ? '(no such resource)'
      : Object.entries(tags)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ') || '(no tags)';
  const lines: string[] = [];
  for (const r of before.resources) {
    const key = `${r.regionId}/${r.resourceType}/${r.resourceId}`;
    if (!touched.has(key)) continue;
    const afterTags = afterByKey.get(key);
    lines.push(
      `  ${r.resourceType} ${r.resourceId} (${r.regionId})`,
      `    before: ${fmt(r.tags)}`,
      `    after:  ${fmt(afterTags)}`,
    );
  }
  return lines.join('\n');
}
