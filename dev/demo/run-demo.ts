import { join } from 'node:path';
import { staticCredentials } from '../../lib/alibaba/credentials.ts';
import { runCommand } from '../../lib/cli/run-command.ts';
import { EMULATOR_ACCESS_KEY_ID, EMULATOR_ACCESS_KEY_SECRET } from '../emulator/defaults.ts';
import type { FaultOptions } from '../emulator/faults.ts';
import { type EmulatorStats, loadInventory, type RunningEmulator, startEmulator } from '../emulator/server.ts';
import { exampleManifests } from '../local/example-manifests.ts';
import { runDemoSweep } from './demo-sweep.ts';
import { renderTagChanges, resourceKey } from './render-tags.ts';

export interface DemoOptions {
  /** Folder holding `inventory.json` and `manifests/*.json`. */
  readonly examplesDir: string;
  /** The policy the sweep act uses. @default `policies/no-temporary-tags.yaml` beside `examplesDir` */
  readonly policyFile?: string;
  readonly faults: FaultOptions;
  readonly seed: number;
  /** Account flow control of the emulator, calls per second. */
  readonly emulatorMaxQps: number;
  readonly logLevel: string;
}

interface DemoIo {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  /** Where the explanations go: stdout on a terminal, else stderr, so stdout stays pure NDJSON. */
  readonly human: NodeJS.WritableStream;
}

const credentials = staticCredentials({
  accessKeyId: EMULATOR_ACCESS_KEY_ID,
  accessKeySecret: EMULATOR_ACCESS_KEY_SECRET,
});

/**
 * `npm start`: the real pipeline over HTTP against the local emulator seeded from `examples/`, with a
 * little fault injection so retries show. First today's manifests (outcomes, summaries, tags before and
 * after), then a compliance sweep of the example policy: a dry run, the sweep, the tags before and after.
 * Exits 0 when both acts completed (the examples fail some resources on purpose; that still completes).
 */
export async function runDemo(
  options: DemoOptions,
  io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream },
): Promise<number> {
  const inventory = await loadInventory(join(options.examplesDir, 'inventory.json'));
  const emulator = await startEmulator({
    inventory,
    faults: options.faults,
    seed: options.seed,
    maxQps: options.emulatorMaxQps,
    accounts: [{ accessKeyId: EMULATOR_ACCESS_KEY_ID, accessKeySecret: EMULATOR_ACCESS_KEY_SECRET }],
  });
  const demoIo: DemoIo = { ...io, human: io.stdout.isTTY ? io.stdout : io.stderr };
  try {
    demoIo.human.write(
      `ECS emulator on ${emulator.url} (seeded from examples/inventory.json; faults ${JSON.stringify(options.faults)})\n`,
    );
    const manifestsCompleted = await runManifestAct(emulator, options, demoIo);
    const policyFile = options.policyFile ?? join(options.examplesDir, '..', 'policies', 'no-temporary-tags.yaml');
    const sweep = await runDemoSweep(
      emulator,
      { policyFile, policyName: 'policies/no-temporary-tags.yaml', credentials, logLevel: options.logLevel },
      demoIo,
    );
    demoIo.human.write(`${describeStats(emulator.stats())}\n`);
    // Exit 2 means the sweep could not run at all; 1 (a failed resource) still completed.
    return manifestsCompleted && sweep.dryRunExitCode === 0 && sweep.exitCode !== 2 ? 0 : 1;
  } finally {
    await emulator.close();
  }
}

/** Runs today's manifests from `examples/manifests`; true when the run completed. */
async function runManifestAct(emulator: RunningEmulator, options: DemoOptions, io: DemoIo): Promise<boolean> {
  const files = await exampleManifests(options.examplesDir);
  io.human.write(`running ${files.length} manifest(s) from examples/manifests\n\n`);
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
    { stdout: io.stdout, stderr: io.stderr, credentials },
  );
  const touched = (report?.outcomes ?? []).map((o) => ({ key: resourceKey(o) }));
  io.human.write(
    `\nTags before → after (emulator state):\n${renderTagChanges(before, emulator.snapshot(), touched)}\n` +
      `\`tag-cleanup run\` would exit ${exitCode} (0 = every resource removed; the examples fail some on purpose)\n`,
  );
  return exitCode !== 2 && report?.fatal === undefined;
}

function describeStats(stats: EmulatorStats): string {
  const errors = Object.entries(stats.errorsByCode)
    .map(([code, n]) => `${n} ${code}`)
    .join(', ');
  return `\nemulator saw ${stats.requests} request(s): ${stats.ok} ok, ${stats.resets} reset, ${errors || 'no errors'}`;
}
