/**
 * `npm run chaos`: the chaos run through the whole local stack (fauxqs, the ECS emulator, forked
 * Lambda-like handler containers), every fault at once, seeded. Prints the figures and exits non-zero when
 * any invariant breaks. Options: --seed N (default 1), --manifests N (default 200), --workers N (default 3).
 */
import { parseArgs } from 'node:util';
import { messageOf } from '../../lib/core/errors.ts';
import type { ChaosOptions } from './chaos-options.ts';
import { formatFigures } from './format-figures.ts';
import { runChaos } from './harness.ts';

/** The full scenario of issue 5 §1. */
export function fullScenario(
  seed: number,
  manifests: number,
  workers: number,
  progress: (line: string) => void,
): ChaosOptions {
  return {
    seed,
    workload: { manifests },
    workers,
    mode: 'process',
    faults: { errorRate: 0.1, resetRate: 0.03, hangRate: 0.01, applyThen500Rate: 0.02 },
    maxQps: 600,
    throttleBursts: { everyMs: 15_000, durationMs: 3_000, factor: 0.1 },
    sqsSendFailRate: 0.15,
    // Short, so that the killed container's messages come back soon; still above the function timeout.
    visibilityTimeoutSeconds: 15,
    maxReceiveCount: 6,
    functionTimeoutMs: 10_000,
    batchSize: 5,
    cut: { rate: 0.2, minMs: 3_000, maxMs: 6_000 },
    crashAfterMs: 8_000,
    handlerEnv: {
      TAG_CLEANUP_REQUEST_TIMEOUT_MS: '1500',
      TAG_CLEANUP_DEADLINE_MARGIN_MS: '2000',
      TAG_CLEANUP_MAX_CONTINUATIONS: '50',
      TAG_CLEANUP_CONCURRENCY: '32',
      TAG_CLEANUP_MAX_ATTEMPTS: '6',
      TAG_CLEANUP_LOG_LEVEL: 'info',
    },
    timeLimitMs: 9 * 60_000,
    idleMs: 3_000,
    progress,
  };
}

async function main(): Promise<number> {
  // The SQS SDK warns about Node 20 when a client is built; it is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { values } = parseArgs({
    options: {
      seed: { type: 'string', default: '1' },
      manifests: { type: 'string', default: '200' },
      workers: { type: 'string', default: '3' },
    },
  });
  const seed = Number(values.seed);
  const manifests = Number(values.manifests);
  const workers = Number(values.workers);
  for (const [name, n] of [
    ['--seed', seed],
    ['--manifests', manifests],
    ['--workers', workers],
  ] as const) {
    if (!Number.isSafeInteger(n) || n < 1) {
      process.stderr.write(`chaos: ${name} must be a positive whole number\n`);
      return 2;
    }
  }
  const progress = (line: string) => process.stderr.write(`chaos: ${line}\n`);
  const started = Date.now();
  progress(`seed ${seed}: ${manifests} manifests, ${workers} handler containers, every fault at once`);
  const result = await runChaos(fullScenario(seed, manifests, workers, progress));
  process.stdout.write(`\nchaos run, seed ${seed} (${((Date.now() - started) / 1000).toFixed(1)} s in all)\n`);
  process.stdout.write(`${formatFigures(result.verdict, result.extra)}\n`);
  return result.verdict.failures.length === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`chaos: ${error instanceof Error ? (error.stack ?? messageOf(error)) : String(error)}\n`);
    process.exitCode = 1;
  },
);
