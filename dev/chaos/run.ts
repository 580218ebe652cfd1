/**
 * `npm run chaos`: the chaos run through the whole local stack (fauxqs, the ECS emulator, forked
 * Lambda-like handler containers), every fault at once, seeded. Prints the figures and exits non-zero when
 * any invariant breaks. Options: --seed N (default 1), --manifests N (default 200), --workers N (default 3).
 */
import { parseArgs } from 'node:util';
import { messageOf } from '../../lib/core/errors.ts';
import { fullScenario } from './chaos-options.ts';
import { formatFigures } from './format-figures.ts';
import { runChaos } from './harness.ts';

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
