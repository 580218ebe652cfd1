/**
 * The `event-latency` scenario: CloudEvents posted over HTTP at a steady rate to the local stack (ingest
 * endpoint → events queue → adapter → work queue → cleanup → ECS emulator), and for each the time from
 * POST to its offending tag being gone, split into phases by the timestamps each step leaves.
 * Standalone: `tsx dev/bench/event-latency.ts [--rate N] [--seconds N] [--batching-window-ms N]`.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { SQSEvent } from 'aws-lambda';
import * as z from 'zod';
import { createLogger } from '../../lib/logger.ts';
import type { InventoryFile, RunningEmulator } from '../emulator/server.ts';
import { addTagsEvent } from '../local/add-tags-event.ts';
import { type LocalFunction, type LocalServices, startLocalServices } from '../local/local-services.ts';
import { EventTimeline, PHASES, type Spread, type TimelineSummary } from './event-latency-timeline.ts';
import { LATENCY, LIMIT_QPS } from './scenarios.ts';

/** The target: half the events have their tag gone within this, the batching window excluded. */
export const EVENT_LATENCY_TARGET_P50_MS = 2000;

export interface EventLatencyOptions {
  /** Events posted per second. @default 5 */
  readonly ratePerSecond?: number;
  /** How long events are posted. @default 20 */
  readonly durationSeconds?: number;
  /**
   * The events poller's batching window (deployed: 1 s, a setting). The work queue's stays 0, as deployed.
   * @default 0, so the figures are the target's "excluding the batching window"
   */
  readonly batchingWindowMs?: number;
  /** Longest wait for the last tag after the last POST. @default 30000 */
  readonly drainTimeoutMs?: number;
}

export interface EventLatencyResult extends TimelineSummary {
  readonly ratePerSecond: number;
  readonly durationSeconds: number;
  readonly batchingWindowMs: number;
  readonly posted: number;
  /** POSTs answered 202. */
  readonly accepted: number;
  readonly invocations: Readonly<Record<LocalFunction, number>>;
  readonly listCalls: number;
  readonly removeCalls: number;
  readonly targetP50Ms: number;
  /** p50 of POST → tag gone within the target; judged only with no batching window. */
  readonly pass: boolean | undefined;
}

const POLICY_FILE = fileURLToPath(new URL('../../policies/no-temporary-tags.yaml', import.meta.url));
const REGION = 'cn-hangzhou';

const cloudEventId = z.looseObject({ id: z.string() });
const eventManifestOrigin = z.looseObject({ origin: z.looseObject({ eventIds: z.array(z.string()) }) });

/** Runs the scenario once on a fresh local stack and returns its figures. */
export async function runEventLatencyScenario(options: EventLatencyOptions = {}): Promise<EventLatencyResult> {
  const ratePerSecond = options.ratePerSecond ?? 5;
  const durationSeconds = options.durationSeconds ?? 20;
  const batchingWindowMs = options.batchingWindowMs ?? 0;
  const count = Math.max(1, Math.round(ratePerSecond * durationSeconds));
  const runId = Date.now().toString(36);
  const resourceIds = Array.from({ length: count }, (_, i) => `i-lat${runId}${String(i).padStart(5, '0')}`);
  const timeline = new EventTimeline();
  const services = await startLocalServices({
    inventory: benchInventory(resourceIds),
    maxQps: LIMIT_QPS,
    faults: LATENCY,
    policyFile: POLICY_FILE,
    ingestToken: `bench-${runId}`,
    // The handlers log as deployed; the lines go nowhere, their cost stays in the figures.
    logger: createLogger({ level: 'info', destination: { write: () => undefined } }),
    functionTimeoutMs: 30_000,
    batchingWindowMs: { events: batchingWindowMs, cleanup: 0 },
    onBatch: (fn, event, startedMs) => markBatch(timeline, fn, event, startedMs),
  });
  try {
    const eventIds = resourceIds.map((_, i) => `bench-${runId}-${i}`);
    const answers = await postSteadily(services, timeline, eventIds, resourceIds, ratePerSecond);
    await waitForRemovals(services.stack.emulator, timeline, resourceIds, eventIds, options.drainTimeoutMs ?? 30_000);
    const summary = timeline.summary();
    const stats = services.stack.emulator.stats();
    return {
      ...summary,
      ratePerSecond,
      durationSeconds,
      batchingWindowMs,
      posted: count,
      accepted: answers.filter((s) => s === 202).length,
      invocations: { events: services.pollers.events.invocations, cleanup: services.pollers.cleanup.invocations },
      listCalls: stats.byAction.ListTagResources?.ok ?? 0,
      removeCalls: stats.accepted,
      targetP50Ms: EVENT_LATENCY_TARGET_P50_MS,
      pass:
        batchingWindowMs === 0
          ? summary.incomplete.length === 0 && summary.total.p50Ms <= EVENT_LATENCY_TARGET_P50_MS
          : undefined,
    };
  } finally {
    await services.close();
  }
}

/** One instance per event, each with a `tmp` tag the example policy removes and two it keeps. */
function benchInventory(resourceIds: readonly string[]): InventoryFile {
  return {
    resources: resourceIds.map((resourceId) => ({
      regionId: REGION,
      resourceType: 'instance' as const,
      resourceId,
      tags: { tmp: 'true', owner: 'bench', env: 'dev' },
    })),
  };
}

/** Marks the queue-side timestamps of a batch as its invocation starts. */
function markBatch(timeline: EventTimeline, fn: LocalFunction, event: SQSEvent, startedMs: number): void {
  for (const record of event.Records) {
    const sentMs = Number(record.attributes.SentTimestamp);
    let body: unknown;
    try {
      body = JSON.parse(record.body);
    } catch {
      continue;
    }
    if (fn === 'events') {
      const parsed = cloudEventId.safeParse(body);
      if (!parsed.success) continue;
      timeline.mark(parsed.data.id, 'queued', sentMs);
      timeline.mark(parsed.data.id, 'adapterStarted', startedMs);
    } else {
      const parsed = eventManifestOrigin.safeParse(body);
      if (!parsed.success) continue;
      for (const id of parsed.data.origin.eventIds) {
        timeline.mark(id, 'manifestSent', sentMs);
        timeline.mark(id, 'cleanupStarted', startedMs);
      }
    }
  }
}

/** Posts one event every 1/rate s on a fixed schedule (a slow answer does not delay the next POST). */
async function postSteadily(
  services: LocalServices,
  timeline: EventTimeline,
  eventIds: readonly string[],
  resourceIds: readonly string[],
  ratePerSecond: number,
): Promise<number[]> {
  const intervalMs = 1000 / ratePerSecond;
  const startMs = Date.now() + 100;
  const answers: Promise<number>[] = [];
  for (const [i, id] of eventIds.entries()) {
    await delay(Math.max(0, startMs + i * intervalMs - Date.now()));
    const body = JSON.stringify(
      addTagsEvent({
        id,
        regionId: REGION,
        resourceType: 'instance',
        resourceId: resourceIds[i] as string,
        principalId: '206400000000000001',
      }),
    );
    timeline.mark(id, 'posted', Date.now());
    answers.push(
      fetch(`${services.ingest.url}/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-tag-cleanup-token': services.ingestToken },
        body,
      }).then(async (response) => {
        timeline.mark(id, 'answered', Date.now());
        await response.arrayBuffer();
        return response.status;
      }),
    );
  }
  return Promise.all(answers);
}

/** Waits until every resource's `tmp` RemoveTags was accepted (marking when, by the emulator's clock). */
async function waitForRemovals(
  emulator: RunningEmulator,
  timeline: EventTimeline,
  resourceIds: readonly string[],
  eventIds: readonly string[],
  timeoutMs: number,
): Promise<void> {
  const eventOf = new Map(resourceIds.map((r, i) => [r, eventIds[i] as string]));
  const deadline = Date.now() + timeoutMs;
  let pending = eventIds.length;
  while (pending > 0 && Date.now() < deadline) {
    await delay(50);
    for (const call of emulator.stats().calls) {
      const id = eventOf.get(call.resourceId);
      if (id !== undefined && call.removedKeys.includes('tmp')) timeline.mark(id, 'removed', call.atMs);
    }
    pending = eventIds.filter((id) => !timeline.has(id, 'removed')).length;
  }
}

/** The scenario's figures as printed lines. */
export function formatEventLatency(r: EventLatencyResult): string[] {
  const ms = (s: Spread) =>
    `p50 ${s.p50Ms.toFixed(0).padStart(5)} ms  p99 ${s.p99Ms.toFixed(0).padStart(5)} ms  max ${s.maxMs.toFixed(0).padStart(5)} ms`;
  const verdict = r.pass === undefined ? 'not judged (batching window included)' : r.pass ? 'pass' : 'MISS';
  return [
    `event-latency: ${r.posted} events at ${r.ratePerSecond}/s for ${r.durationSeconds} s, events batching window ` +
      `${r.batchingWindowMs} ms; ${r.accepted} accepted, ${r.complete} tags gone` +
      (r.incomplete.length > 0 ? `, ${r.incomplete.length} NOT gone` : ''),
    `  POST → tag gone    ${ms(r.total)}   target p50 ≤ ${r.targetP50Ms} ms: ${verdict}`,
    `  POST → 202         ${ms(r.answered)}`,
    '  where the time goes:',
    ...PHASES.map((p) => `    ${p.id.padEnd(13)} ${ms(r.phases[p.id])}  ${p.what}`),
    `  invocations: events ${r.invocations.events}, cleanup ${r.invocations.cleanup}; ` +
      `ListTagResources ${r.listCalls}, RemoveTags ${r.removeCalls}`,
  ];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rate: { type: 'string', default: '5' },
      seconds: { type: 'string', default: '20' },
      'batching-window-ms': { type: 'string', default: '0' },
    },
  });
  const result = await runEventLatencyScenario({
    ratePerSecond: Number(values.rate),
    durationSeconds: Number(values.seconds),
    batchingWindowMs: Number(values['batching-window-ms']),
  });
  process.stdout.write(`${formatEventLatency(result).join('\n')}\n`);
  if (result.pass === false) process.exitCode = 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  main().catch((error: unknown) => {
    process.stderr.write(`event-latency: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
