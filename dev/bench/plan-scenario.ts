import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { PlanMode, PlanResult } from './plan-worker.ts';

const PLAN_TIMEOUT_MS = 60_000;

/**
 * Runs both modes of the plan scenario, each in a fresh plain `node` process on an esbuild bundle of the
 * worker: what the Lambda runs is bundled code too, and a TypeScript loader would add its own memory.
 */
export async function runPlanScenario(): Promise<{ plan: PlanResult; parse: PlanResult }> {
  const dir = await mkdtemp(join(tmpdir(), 'tag-cleanup-plan-'));
  try {
    const worker = join(dir, 'plan-worker.mjs');
    await build({
      entryPoints: [fileURLToPath(new URL('./plan-worker.ts', import.meta.url))],
      outfile: worker,
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      logLevel: 'silent',
    });
    return { plan: await runWorker(worker, 'plan'), parse: await runWorker(worker, 'parse') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function runWorker(worker: string, mode: PlanMode): Promise<PlanResult> {
  // --expose-gc only lets the worker measure its live heap after the measured work; the peak comes first.
  const child = fork(worker, [mode], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise<PlanResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`plan worker exceeded ${PLAN_TIMEOUT_MS} ms`));
    }, PLAN_TIMEOUT_MS);
    child.once('message', (message: PlanResult) => {
      clearTimeout(timer);
      resolve(message);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`plan worker (${mode}) exited (code ${code}) without a result`));
    });
  });
}
