/**
 * One member of the fleet scenario: a separate process with its own controller, as a concurrent Lambda
 * would be. The parent sends `run`, this answers `ready`, waits for `go` (so all start together), runs
 * the workload and answers `result`.
 */
import type { ClientSummary } from './metrics.ts';
import { runStrategy, warmUp } from './run-strategy.ts';
import type { StrategyId } from './strategies/index.ts';
import { buildWorkload } from './workload.ts';

/** The parent's order to this worker. */
export interface FleetRunMessage {
  readonly type: 'run';
  readonly strategy: StrategyId;
  readonly url: string;
  readonly prefix: string;
  readonly resources: number;
  readonly maxQps: number | undefined;
  readonly idealQps: number;
}

/** What a worker sends back. */
export type FleetWorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'result'; readonly summary: ClientSummary };

function send(message: FleetWorkerMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    process.send?.(message, undefined, {}, (error) => (error ? reject(error) : resolve()));
  });
}

function nextMessage(): Promise<unknown> {
  return new Promise((resolve) => process.once('message', resolve));
}

async function main(): Promise<void> {
  if (!process.send) throw new Error('fleet-worker must be started by the bench with an IPC channel');
  const order = (await nextMessage()) as FleetRunMessage;
  const workload = buildWorkload(order.prefix, order.resources);
  await warmUp([order.strategy]);
  const go = nextMessage();
  await send({ type: 'ready' });
  await go;
  const summary = await runStrategy({
    strategy: order.strategy,
    url: order.url,
    workload,
    maxQps: order.maxQps,
    idealQps: order.idealQps,
  });
  await send({ type: 'result', summary });
  process.disconnect();
}

main().catch((error: unknown) => {
  process.stderr.write(`fleet-worker: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
  process.disconnect?.();
});
