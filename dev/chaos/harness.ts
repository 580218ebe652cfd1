// Dev tooling: drives a chaos run through the whole local stack. Never import this from handlers/ or lib/.
import type { SQSClient } from '@aws-sdk/client-sqs';
import { messageOf } from '../../lib/core/errors.ts';
import { Closers } from '../local/closers.ts';
import { queueDepth } from '../local/queue-depth.ts';
import { receiveAll } from '../local/receive-all.ts';
import { localSqsClient } from '../local/sqs.ts';
import { seededSendFaults, startSqsFaultProxy } from '../local/sqs-fault-proxy.ts';
import { type LocalStack, startLocalStack } from '../local/stack.ts';
import type { ChaosOptions } from './chaos-options.ts';
import { deadLetterOf } from './check-dead-letters.ts';
import { Disruptions } from './disruptions.ts';
import { enqueueWorkload } from './enqueue-workload.ts';
import { containerLauncher, Fleet } from './fleet.ts';
import type { LogRecord } from './log-record.ts';
import { RunObserver } from './run-observer.ts';
import { extraRows, runFailures } from './run-summary.ts';
import { type ChaosVerdict, verifyRun } from './verify.ts';
import { waitForDrain } from './wait-for-drain.ts';
import { buildWorkload } from './workload.ts';
import type { Workload } from './workload-types.ts';

/** What a run produced. */
export interface ChaosResult {
  readonly verdict: ChaosVerdict;
  /** Extra rows for the figures table. */
  readonly extra: readonly (readonly [string, string])[];
  readonly workload: Workload;
  /** The handler log lines the verification used. */
  readonly lines: readonly LogRecord[];
}

/** What one run holds while it goes, once the stack and the fault proxy are up. */
interface RunContext {
  readonly options: ChaosOptions;
  readonly workload: Workload;
  readonly stack: LocalStack;
  /** The SQS fault proxy, which the handlers and the producer send through. */
  readonly proxyEndpoint: string;
  readonly sendFaults: ReturnType<typeof seededSendFaults>;
  readonly closers: Closers;
  readonly disruptions: Disruptions;
  readonly say: (line: string) => void;
}

/** Runs one chaos scenario end to end and verifies it; never throws for a broken invariant. */
export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const workload = buildWorkload(options.seed, options.workload);
  const stack = await startLocalStack({
    inventory: workload.inventory,
    faults: options.faults,
    seed: options.seed,
    maxQps: options.maxQps,
    retryAfterMs: 'auto',
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
    maxReceiveCount: options.maxReceiveCount,
  });
  const closers = new Closers();
  closers.add(() => stack.close());
  const disruptions = new Disruptions();
  try {
    const sendFaults = seededSendFaults({ failRate: options.sqsSendFailRate, seed: options.seed });
    const proxy = await startSqsFaultProxy(stack.sqsEndpoint, sendFaults.decide);
    closers.add(() => proxy.close());
    const say = options.progress ?? (() => {});
    return await runOnStack({
      options,
      workload,
      stack,
      proxyEndpoint: proxy.endpoint,
      sendFaults,
      closers,
      disruptions,
      say,
    });
  } finally {
    disruptions.stop();
    await closers.closeAll();
  }
}

/** Starts the containers, enqueues the workload under every fault, waits for the queues to drain, and judges. */
async function runOnStack(run: RunContext): Promise<ChaosResult> {
  const { options, stack, closers, disruptions } = run;
  const observer = new RunObserver();
  // Enqueue through the faulty proxy, like any producer; watch the queues directly.
  const producer = localSqsClient(run.proxyEndpoint);
  const direct = localSqsClient(stack.sqsEndpoint);
  closers.add(() => {
    producer.destroy();
    direct.destroy();
  });
  const fleet = new Fleet(containerLauncher(options, stack, handlerEnv(run), observer));
  closers.add(() => fleet.stopAll());
  for (let i = 0; i < options.workers; i++) await fleet.launch();
  const startedAt = Date.now();
  await enqueueWorkload(run.workload, { producer, direct, queueUrl: stack.queueUrl, say: run.say });
  startDisruptions(run, fleet, observer, startedAt);
  const drained = await waitForDrain({
    sqs: direct,
    queueUrl: stack.queueUrl,
    busy: () => fleet.busy(),
    startedAt,
    timeLimitMs: options.timeLimitMs,
    idleMs: options.idleMs ?? 2000,
    outcomeLines: () => observer.lines.filter((l) => l.event === 'resource.outcome').length,
    say: run.say,
  });
  const drainMs = Date.now() - startedAt;
  disruptions.stop();
  stack.emulator.setMaxQps(options.maxQps);
  if (killsAContainer(options) && disruptions.kill === undefined) {
    observer.workerError('the run drained before any container could be killed');
  }
  await fleet.stopAll();
  return judgeRun(run, { observer, direct, drained, drainMs, containers: fleet.launched });
}

/**
 * The handlers' environment: the stack's, with the SQS client reaching fauxqs through the fault proxy (the
 * pollers talk to fauxqs directly), then the scenario's TAG_CLEANUP_* settings.
 */
function handlerEnv(run: RunContext): Record<string, string> {
  return {
    ...run.stack.env,
    AWS_ENDPOINT_URL_SQS: run.proxyEndpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...run.options.handlerEnv,
  };
}

/** In `process` mode with `crashAfterMs`, one container is SIGKILLed mid-batch. */
function killsAContainer(options: ChaosOptions): boolean {
  return options.mode === 'process' && options.crashAfterMs !== undefined;
}

/** Starts the throttle bursts and schedules the kill, as the scenario asks. */
function startDisruptions(run: RunContext, fleet: Fleet, observer: RunObserver, startedAt: number): void {
  const { options, disruptions } = run;
  if (options.throttleBursts)
    disruptions.startThrottleBursts(run.stack.emulator, options.maxQps, options.throttleBursts);
  if (options.mode === 'process' && options.crashAfterMs !== undefined) {
    disruptions.scheduleKill(fleet, options.crashAfterMs, startedAt, run.say, (error: unknown) =>
      observer.workerError(`relaunch: ${messageOf(error)}`),
    );
  }
}

/** What the run left behind, once the containers stopped. */
interface RunEnd {
  readonly observer: RunObserver;
  readonly direct: SQSClient;
  readonly drained: boolean;
  readonly drainMs: number;
  readonly containers: number;
}

/** Reads the queues and the emulator, verifies the run, and adds the harness's own failures and rows. */
async function judgeRun(run: RunContext, end: RunEnd): Promise<ChaosResult> {
  const { stack, workload } = run;
  const { observer, direct } = end;
  const workQueue = await queueDepth(direct, stack.queueUrl);
  const deadLetters = (await receiveAll(direct, stack.dlqUrl)).map(deadLetterOf);
  const emulator = stack.emulator.stats();
  const verdict = verifyRun({
    workload,
    lines: observer.lines,
    finalInventory: stack.emulator.snapshot(),
    deadLetters,
    emulator,
    workQueue,
    deliveries: observer.deliveries,
    drainMs: end.drainMs,
    drained: end.drained,
  });
  const summary = {
    options: run.options,
    verdict,
    observer,
    disruptions: run.disruptions,
    emulator,
    proxy: run.sendFaults.stats(),
    containers: end.containers,
  };
  const failures = runFailures(summary);
  return {
    verdict: { figures: verdict.figures, failures },
    extra: extraRows(summary),
    workload,
    lines: observer.lines,
  };
}
