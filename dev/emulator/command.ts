import { parseArgs } from 'node:util';
import { positiveIntFlag, positiveNumberFlag, rateFlag } from '../../lib/cli/options.ts';
import { explainBusyPort } from '../local/busy-port.ts';
import { EMULATOR_ACCESS_KEY_ID, EMULATOR_ACCESS_KEY_SECRET } from './defaults.ts';
import type { FaultOptions } from './faults.ts';
import { loadInventory } from './inventory-file.ts';
import { startEmulator } from './server.ts';

/** Where the emulator command finds its default inventory and writes its banner. */
export interface EmulatorCommandEnv {
  /** Folder holding `inventory.json`, the inventory served when `--inventory` is not given. */
  readonly examplesDir: string;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/**
 * `tag-cleanup emulator`: serves the ECS emulator on 127.0.0.1 until SIGINT or SIGTERM. Returns the exit
 * code: 0 after a clean stop, 2 for a bad flag (a ConfigError from a flag parser is left to the CLI).
 */
export async function runEmulatorCommand(args: readonly string[], env: EmulatorCommandEnv): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      port: { type: 'string', default: '0' },
      inventory: { type: 'string' },
      'max-qps': { type: 'string' },
      'fault-rate': { type: 'string' },
      'reset-rate': { type: 'string' },
      'hang-rate': { type: 'string' },
      'apply-then-500-rate': { type: 'string' },
      'latency-ms': { type: 'string' },
      seed: { type: 'string', default: '1' },
      'describe-tags-max-qps': { type: 'string' },
      'list-tag-resources-max-qps': { type: 'string' },
      'list-page-size': { type: 'string' },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    env.stderr.write(`tag-cleanup: --port must be 0-65535 (got '${values.port}')\n`);
    return 2;
  }
  const inventory = await loadInventory(values.inventory ?? `${env.examplesDir}/inventory.json`);
  // A port in use is one line naming the flag, not a stack trace (the CLI prints a ConfigError and exits 2).
  const running = await startEmulator({
    port,
    inventory,
    faults: faultFlags(values),
    seed: positiveIntFlag('seed', values.seed) ?? 1,
    ...optional('maxQps', positiveNumberFlag('max-qps', values['max-qps'])),
    ...optional('describeTagsMaxQps', positiveNumberFlag('describe-tags-max-qps', values['describe-tags-max-qps'])),
    ...optional(
      'listTagResourcesMaxQps',
      positiveNumberFlag('list-tag-resources-max-qps', values['list-tag-resources-max-qps']),
    ),
    ...optional('listPageSize', positiveIntFlag('list-page-size', values['list-page-size'])),
  }).catch((error: unknown) => {
    throw explainBusyPort(error, { '--port': port });
  });
  env.stdout.write(
    `ECS emulator listening on ${running.url}\n` +
      `  credentials: access key id "${EMULATOR_ACCESS_KEY_ID}", secret "${EMULATOR_ACCESS_KEY_SECRET}" (documented, not secret)\n` +
      `  try: TAG_CLEANUP_ECS_ENDPOINT=${running.url} ALIBABA_CLOUD_ACCESS_KEY_ID=${EMULATOR_ACCESS_KEY_ID} ` +
      `ALIBABA_CLOUD_ACCESS_KEY_SECRET=${EMULATOR_ACCESS_KEY_SECRET} npm run --silent cli -- run examples/manifests/01-compliance-sweep.json\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await running.close();
  return 0;
}

function faultFlags(values: Readonly<Record<string, string | undefined>>): FaultOptions {
  return {
    ...optional('errorRate', rateFlag('fault-rate', values['fault-rate'])),
    ...optional('resetRate', rateFlag('reset-rate', values['reset-rate'])),
    ...optional('hangRate', rateFlag('hang-rate', values['hang-rate'])),
    ...optional('applyThen500Rate', rateFlag('apply-then-500-rate', values['apply-then-500-rate'])),
    ...optional('latencyMs', positiveNumberFlag('latency-ms', values['latency-ms'])),
  };
}

function optional<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, number>);
}
