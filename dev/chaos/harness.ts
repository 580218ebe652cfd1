// Dev tooling: drives a chaos run through the whole local stack. Never import this from handlers/ or lib/.
import { type ChildProcess, fork } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import { makeHandler } from '../../handlers/cleanup.ts';
import { EcsClient } from '../../lib/alibaba/client.ts';
import { staticCredentials } from '../../lib/alibaba/credentials.ts';
import { runEnqueue } from '../../lib/aws/enqueue.ts';
import { SqsQueueSender, sendMessages } from '../../lib/aws/sqs-send.ts';
import { loadConfig, requireQueues } from '../../lib/config.ts';
import { messageOf } from '../../lib/core/errors.ts';
import { AdaptiveRateController } from '../../lib/engine/rate-controller.ts';
import { createLogger } from '../../lib/logger.ts';
import type { FaultOptions } from '../emulator/server.ts';
import { type Poller, type SqsHandler, startPoller } from '../local/poller.ts';
import { queueDepth } from '../local/queue-depth.ts';
import { receiveAll } from '../local/receive-all.ts';
import { localSqsClient } from '../local/sqs.ts';
import { seededSendFaults, startSqsFaultProxy } from '../local/sqs-fault-proxy.ts';
import { type LocalStack, startLocalStack } from '../local/stack.ts';
import { type ChaosVerdict, deadLetterOf, type LogRecord, verifyRun } from './verify.ts';
import { cutShort, type ParentMessage, type WorkerMessage } from './worker-kit.ts';
import { buildWorkload, manifestBody, type Workload, type WorkloadOptions } from './workload.ts';

/** Everything a chaos run can vary. */
export interface ChaosOptions {
  readonly seed: number;
  readonly workload?: WorkloadOptions;
  /** Handler containers running at once. */
  readonly workers: number;
  /** `process`: each container is a forked child that can be SIGKILLed; `inline`: pollers in this process. */
  readonly mode: 'process' | 'inline';
  /** Emulator faults, all at once. */
  readonly faults: FaultOptions;
  /** The emulator's account-wide RemoveTags limit, calls per second. */
  readonly maxQps: number;
  /** Periodic drops of the limit to `factor` × maxQps. */
  readonly throttleBursts?: { readonly everyMs: number; readonly durationMs: number; readonly factor: number };
  /** Share of SendMessage(Batch) calls the proxy in front of fauxqs fails. */
  readonly sqsSendFailRate: number;
  readonly visibilityTimeoutSeconds: number;
  readonly maxReceiveCount: number;
  readonly functionTimeoutMs: number;
  readonly batchSize: number;
  /** Share of invocations whose remaining time is cut, and to how long. */
  readonly cut: { readonly rate: number; readonly minMs: number; readonly maxMs: number };
  /**
   * `process` mode: SIGKILL one busy container this long after the start (a replacement starts at once).
   * `inline` mode: the first invocation does its work, then fails before the poller deletes anything.
   */
  readonly crashAfterMs?: number;
  /** TAG_CLEANUP_* settings for the handler. */
  readonly handlerEnv: Readonly<Record<string, string>>;
  /** Give up waiting for the queues to drain after this long. */
  readonly timeLimitMs: number;
  /** How long the queue must stay empty to count as drained. @default 2000 */
  readonly idleMs?: number;
  /** Progress lines (stderr in the CLI). @default none */
  readonly progress?: (line: string) => void;
}

/** What a run produced. */
export interface ChaosResult {
  readonly verdict: ChaosVerdict;
  /** Extra rows for the figures table. */
  readonly extra: readonly (readonly [string, string])[];
  readonly workload: Workload;
  /** The handler log lines the verification used. */
  readonly lines: readonly LogRecord[];
}

interface Container {
  readonly id: number;
  /** Message ids of the running invocation, and when it started. */
  busy?: { readonly messageIds: readonly string[]; readonly since: number };
  /** Handler runs not settled yet, including those left running by a timed-out invocation. */
  running: number;
  stop(): Promise<void>;
  /** Only for `process` containers. */
  readonly child?: ChildProcess;
}

/** Counters kept while the run goes. */
interface Tally {
  invocations: number;
  cut: number;
  byOutcome: Record<string, number>;
  deliveries: Map<string, number>;
  unparsedLines: number;
  workerErrors: string[];
}

const WORKER_PATH = fileURLToPath(new URL('./worker.ts', import.meta.url));
// Events the verification needs; the rest of each handler's log is dropped to keep memory flat.
const KEPT_EVENTS = new Set(['resource.outcome', 'message.poison', 'invocation.fatal', 'manifest.continued']);

/** Runs one chaos scenario end to end and verifies it; never throws for a broken invariant. */
export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const say = options.progress ?? (() => {});
  const workload = buildWorkload(options.seed, options.workload);
  const lines: LogRecord[] = [];
  const tally: Tally = {
    invocations: 0,
    cut: 0,
    byOutcome: {},
    deliveries: new Map(),
    unparsedLines: 0,
    workerErrors: [],
  };
  const keep = (line: string): void => {
    if (line.trim() === '') return;
    try {
      const record = JSON.parse(line) as LogRecord;
      if (KEPT_EVENTS.has(String(record.event))) lines.push(record);
    } catch {
      tally.unparsedLines++; // e.g. the last line of a killed process
    }
  };

  const stack = await startLocalStack({
    inventory: workload.inventory,
    faults: options.faults,
    seed: options.seed,
    maxQps: options.maxQps,
    retryAfterMs: 'auto',
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
    maxReceiveCount: options.maxReceiveCount,
  });
  const closers: (() => Promise<void>)[] = [() => stack.close()];
  const timers: NodeJS.Timeout[] = [];
  const containers: Container[] = [];
  try {
    const sendFaults = seededSendFaults({ failRate: options.sqsSendFailRate, seed: options.seed });
    const proxy = await startSqsFaultProxy(stack.sqsEndpoint, sendFaults.decide);
    closers.unshift(() => proxy.close());
    const env: Record<string, string> = {
      ...stack.env,
      // The handler's SQS client reaches fauxqs through the fault proxy; the poller talks to fauxqs directly.
      AWS_ENDPOINT_URL_SQS: proxy.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...options.handlerEnv,
    };

    const onMessage = (container: Container, message: WorkerMessage): void => {
      if (message.type === 'start') {
        container.busy = { messageIds: message.messageIds, since: Date.now() };
        container.running++;
        tally.invocations++;
        if (message.cutMs !== undefined) tally.cut++;
        for (const id of message.messageIds) tally.deliveries.set(id, (tally.deliveries.get(id) ?? 0) + 1);
      } else if (message.type === 'end') {
        delete container.busy;
        tally.byOutcome[message.outcome] = (tally.byOutcome[message.outcome] ?? 0) + 1;
      } else if (message.type === 'settled') {
        container.running--;
      } else if (message.type === 'error') {
        tally.workerErrors.push(`${message.during}: ${message.message}`);
      }
    };
    const settingsEnv = (id: number): Record<string, string> => ({
      CHAOS_SQS_ENDPOINT: stack.sqsEndpoint,
      CHAOS_QUEUE_URL: stack.queueUrl,
      CHAOS_SEED: String(options.seed * 1000 + id),
      CHAOS_FUNCTION_TIMEOUT_MS: String(options.functionTimeoutMs),
      CHAOS_BATCH_SIZE: String(options.batchSize),
      CHAOS_CUT_RATE: String(options.cut.rate),
      CHAOS_CUT_MIN_MS: String(options.cut.minMs),
      CHAOS_CUT_MAX_MS: String(options.cut.maxMs),
    });
    let nextId = 0;
    const launch = async (): Promise<Container> => {
      const id = nextId++;
      const container =
        options.mode === 'process'
          ? await forkContainer(id, { ...process.env, ...env, ...settingsEnv(id) }, keep, onMessage, tally)
          : inlineContainer(id, env, stack, options, keep, onMessage, id === 0 ? options.crashAfterMs : undefined);
      containers.push(container);
      return container;
    };
    for (let i = 0; i < options.workers; i++) await launch();

    const startedAt = Date.now();
    // Enqueue through the faulty proxy, like any producer, re-sending what the CLI reports as not sent.
    const producer = localSqsClient(proxy.endpoint);
    const direct = localSqsClient(stack.sqsEndpoint);
    closers.unshift(async () => {
      producer.destroy();
      direct.destroy();
    });
    await enqueueAll(workload, producer, stack.queueUrl, say);
    const poison = await sendMessages(
      direct,
      stack.queueUrl,
      workload.poison.map((p) => ({ body: p.body })),
    );
    if (poison.failed.length > 0) throw new Error(`could not enqueue ${poison.failed.length} poison message(s)`);
    say(`enqueued ${workload.manifests.length} manifests and ${workload.poison.length} poison messages`);

    let bursts = 0;
    if (options.throttleBursts) {
      const { everyMs, durationMs, factor } = options.throttleBursts;
      timers.push(
        setInterval(() => {
          bursts++;
          stack.emulator.setMaxQps(options.maxQps * factor);
          timers.push(setTimeout(() => stack.emulator.setMaxQps(options.maxQps), durationMs));
        }, everyMs),
      );
    }

    let kill: { at: number; messageIds: readonly string[] } | undefined;
    if (options.mode === 'process' && options.crashAfterMs !== undefined) {
      const tryKill = (): void => {
        const victim = containers.find((c) => c.child && c.busy && Date.now() - c.busy.since > 300);
        if (!victim?.child || !victim.busy) {
          timers.push(setTimeout(tryKill, 100));
          return;
        }
        kill = { at: Date.now() - startedAt, messageIds: victim.busy.messageIds };
        say(`SIGKILL container ${victim.id} with ${victim.busy.messageIds.length} message(s) in flight`);
        victim.child.kill('SIGKILL');
        containers.splice(containers.indexOf(victim), 1);
        launch().catch((error: unknown) => tally.workerErrors.push(`relaunch: ${messageOf(error)}`));
      };
      timers.push(setTimeout(tryKill, options.crashAfterMs));
    }

    const drained = await waitForDrain(direct, stack.queueUrl, containers, options, startedAt, lines, say);
    const drainMs = Date.now() - startedAt;
    for (const timer of timers) clearTimeout(timer);
    stack.emulator.setMaxQps(options.maxQps);
    if (kill === undefined && options.mode === 'process' && options.crashAfterMs !== undefined) {
      tally.workerErrors.push('the run drained before any container could be killed');
    }
    await Promise.all(containers.map((c) => c.stop()));
    containers.length = 0;

    const workQueue = await counts(direct, stack.queueUrl);
    const deadLetters = (await receiveAll(direct, stack.dlqUrl)).map(deadLetterOf);
    const emulatorStats = stack.emulator.stats();
    const verdict = verifyRun({
      workload,
      lines,
      finalInventory: stack.emulator.snapshot(),
      deadLetters,
      emulator: emulatorStats,
      workQueue,
      deliveries: tally.deliveries,
      drainMs,
      drained,
    });
    const failures = [...verdict.failures];
    if (kill && !kill.messageIds.every((id) => (tally.deliveries.get(id) ?? 0) >= 2)) {
      failures.push('a message in flight at the SIGKILL was never delivered again');
    }
    for (const error of tally.workerErrors.filter((e) => !e.startsWith('receive') && !e.startsWith('delete'))) {
      failures.push(`worker: ${error}`);
    }
    const proxyStats = sendFaults.stats();
    const codes = emulatorStats.errorsByCode;
    const fivexx = (codes.InternalError ?? 0) + (codes.ServiceUnavailable ?? 0);
    const extra: [string, string][] = [
      [
        'faults injected',
        `${fivexx} 5xx (incl. ${verdict.figures.appliedThen500} apply-then-500), ${emulatorStats.resets} resets, ` +
          `${emulatorStats.hangs} hangs, ${emulatorStats.throttled} throttled (${bursts} bursts at ${options.throttleBursts?.factor ?? 1}× the limit)`,
      ],
      [
        'SQS sends failed by proxy',
        `${proxyStats.failedCalls + proxyStats.failedBatches} of ${proxyStats.sends} (${proxyStats.failedCalls} whole calls, ${proxyStats.failedBatches} batches with every entry failed)`,
      ],
      [
        'invocations',
        `${tally.invocations} in ${nextId} containers: ${Object.entries(tally.byOutcome)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}; ${tally.cut} cut to a few seconds`,
      ],
    ];
    if (kill) {
      const redelivered = kill.messageIds.filter((id) => (tally.deliveries.get(id) ?? 0) >= 2).length;
      extra.push([
        'SIGKILL',
        `1 container at ${(kill.at / 1000).toFixed(1)} s with ${kill.messageIds.length} message(s) in flight; ${redelivered} redelivered`,
      ]);
    } else if (options.mode === 'inline' && options.crashAfterMs !== undefined) {
      extra.push(['crash', '1 invocation failed after its work, before the acknowledgement']);
    }
    if (tally.unparsedLines > 0) extra.push(['unparsed log lines', `${tally.unparsedLines} (cut by the kill)`]);
    return { verdict: { figures: verdict.figures, failures }, extra, workload, lines };
  } finally {
    for (const timer of timers) clearTimeout(timer);
    await Promise.all(containers.map((c) => c.stop().catch(() => {})));
    for (const close of closers) await close().catch(() => {});
  }
}

/** Sends every manifest with the enqueue command's code, re-sending those it reports as not sent. */
async function enqueueAll(
  workload: Workload,
  sqs: SQSClient,
  queueUrl: string,
  say: (line: string) => void,
): Promise<void> {
  const bodies = new Map(workload.manifests.map((m) => [m.manifestId, manifestBody(m)]));
  let pending = [...bodies.keys()];
  for (let round = 1; round <= 10 && pending.length > 0; round++) {
    const sent = new Set<string>();
    const code = await runEnqueue({
      files: pending,
      queueUrl,
      sqs,
      maxMessageBytes: 1_048_576,
      readFile: async (file) => bodies.get(file) ?? '',
      out: (line) => {
        const file = line.split(' -> ')[0];
        if (file !== undefined) sent.add(file);
      },
      err: (line) => {
        if (!line.includes(': warning: ')) say(`enqueue: ${line}`);
      },
      sendOptions: { baseDelayMs: 20, maxDelayMs: 200 },
    });
    if (code === 2) throw new Error('the chaos workload has an invalid manifest');
    pending = pending.filter((file) => !sent.has(file));
    if (pending.length > 0) say(`enqueue round ${round}: ${pending.length} manifest(s) to send again`);
  }
  if (pending.length > 0) throw new Error(`${pending.length} manifest(s) could not be enqueued`);
}

async function waitForDrain(
  sqs: SQSClient,
  queueUrl: string,
  containers: readonly Container[],
  options: ChaosOptions,
  startedAt: number,
  lines: readonly LogRecord[],
  say: (line: string) => void,
): Promise<boolean> {
  const idleMs = options.idleMs ?? 2000;
  let idleSince: number | undefined;
  let lastReport = Date.now();
  while (Date.now() - startedAt < options.timeLimitMs) {
    const q = await counts(sqs, queueUrl);
    const busy = containers.some((c) => c.busy !== undefined || c.running > 0);
    const empty = q.visible + q.notVisible + q.delayed === 0 && !busy;
    const now = Date.now();
    if (!empty) idleSince = undefined;
    else if (idleSince === undefined) idleSince = now;
    else if (now - idleSince >= idleMs) return true;
    if (now - lastReport >= 10_000) {
      lastReport = now;
      say(
        `${((now - startedAt) / 1000).toFixed(0)} s: queue ${q.visible} visible, ${q.notVisible} in flight, ` +
          `${q.delayed} delayed; ${lines.filter((l) => l.event === 'resource.outcome').length} outcome lines`,
      );
    }
    await delay(250);
  }
  return false;
}

const counts = queueDepth;

/** A container as a child process running chaos/worker.ts; its stdout is the handler's log. */
async function forkContainer(
  id: number,
  env: NodeJS.ProcessEnv,
  keep: (line: string) => void,
  onMessage: (container: Container, message: WorkerMessage) => void,
  tally: Tally,
): Promise<Container> {
  const child = fork(WORKER_PATH, [], {
    execArgv: ['--import', import.meta.resolve('tsx')],
    env: { ...env, CHAOS_WORKER_ID: String(id) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const stdoutDone = new Promise<void>((resolve) => {
    if (!child.stdout) return resolve();
    createInterface({ input: child.stdout, crlfDelay: Number.POSITIVE_INFINITY }).on('line', keep).on('close', resolve);
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const container: Container = {
    id,
    child,
    running: 0,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null && child.connected) {
        child.send({ type: 'stop' } satisfies ParentMessage);
      }
      const stopped = await Promise.race([exited.then(() => true), delay(15_000).then(() => false)]);
      if (!stopped) child.kill('SIGKILL');
      await exited;
      await stdoutDone;
      if (child.exitCode !== 0 && child.signalCode !== 'SIGKILL') {
        tally.workerErrors.push(
          `container ${id} exited with ${child.exitCode}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
        );
      }
    },
  };
  const ready = new Promise<void>((resolve, reject) => {
    child.on('message', (message: WorkerMessage) => {
      if (message.type === 'ready') resolve();
      onMessage(container, message);
    });
    child.once('exit', (code) =>
      reject(new Error(`container ${id} exited with ${code} before it was ready: ${stderr.trim()}`)),
    );
  });
  await ready;
  return container;
}

/** A container as a poller in this process, for the fast test: same handler, same queues, no fork. */
function inlineContainer(
  id: number,
  env: Readonly<Record<string, string>>,
  stack: LocalStack,
  options: ChaosOptions,
  keep: (line: string) => void,
  onMessage: (container: Container, message: WorkerMessage) => void,
  crashFirstInvocation: number | undefined,
): Container {
  const config = requireQueues(loadConfig(env));
  // As in production (handlers/cleanup.ts): retries live in lib/aws/sqs-send.ts only.
  const sqs = localSqsClient(env.AWS_ENDPOINT_URL_SQS ?? stack.sqsEndpoint);
  const client = new EcsClient({
    endpoint: stack.emulator.url,
    credentials: staticCredentials(stack.credentials),
    requestTimeoutMs: config.requestTimeoutMs,
  });
  const handler = makeHandler({
    config,
    queue: new SqsQueueSender(sqs),
    client,
    rate: new AdaptiveRateController(config.maxQps !== undefined ? { maxQps: config.maxQps } : {}),
    logger: createLogger({ level: config.logLevel, destination: { write: (line: string) => keep(line) } }),
  });
  let crashed = crashFirstInvocation === undefined;
  const crashing: SqsHandler = async (event: SQSEvent, context: Context) => {
    const response = await handler(event, context);
    if (!crashed) {
      crashed = true;
      throw new Error('simulated crash after the work, before the acknowledgement');
    }
    return response;
  };
  const pollerSqs = localSqsClient(stack.sqsEndpoint);
  const container: Container = {
    id,
    running: 0,
    stop: async () => {
      await poller.stop();
      pollerSqs.destroy();
      sqs.destroy();
      client.close();
    },
  };
  const poller: Poller = startPoller({
    sqs: pollerSqs,
    queueUrl: stack.queueUrl,
    batchSize: options.batchSize,
    functionTimeoutMs: options.functionTimeoutMs,
    waitTimeSeconds: 0,
    handler: cutShort(
      crashing,
      {
        seed: options.seed * 1000 + id,
        cutRate: options.cut.rate,
        cutMinMs: options.cut.minMs,
        cutMaxMs: options.cut.maxMs,
      },
      {
        onStart: (messageIds, cutMs) =>
          onMessage(container, { type: 'start', messageIds, ...(cutMs !== undefined && { cutMs }) }),
        onSettled: (messageIds) => onMessage(container, { type: 'settled', messageIds }),
      },
    ),
    onInvoke: (report) =>
      onMessage(container, {
        type: 'end',
        messageIds: report.messageIds,
        outcome: report.outcome,
        failedIds: report.failedIds,
        deletedIds: report.deletedIds,
        durationMs: report.durationMs,
      }),
    onError: (error, during) => onMessage(container, { type: 'error', during, message: messageOf(error) }),
  });
  return container;
}
