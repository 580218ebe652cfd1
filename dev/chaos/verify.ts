import type { Message } from '@aws-sdk/client-sqs';
import { DLQ_ATTRIBUTES } from '../../lib/aws/send-to-dlq.ts';
import { parseManifest } from '../../lib/core/manifest/parse.ts';
import { planManifest } from '../../lib/core/plan.ts';
import type { EmulatorStats, InventoryFile } from '../emulator/server.ts';
import {
  type ExpectedOutcome,
  expectedInventory,
  expectedPairs,
  manifestBody,
  pairKey,
  resourceKey,
  type Workload,
} from './workload.ts';

/** A log line as the handler wrote it (NDJSON), parsed. */
export type LogRecord = Readonly<Record<string, unknown>>;

/** A message found on the dead-letter queue. */
export interface DeadLetter {
  readonly body: string;
  readonly code?: string;
  readonly reason?: string;
}

/** Everything the run observed, for {@link verifyRun}. */
export interface RunObservation {
  readonly workload: Workload;
  /** Every log line of every handler, in no particular order. */
  readonly lines: readonly LogRecord[];
  /** The emulator's inventory once the queues drained. */
  readonly finalInventory: InventoryFile;
  readonly deadLetters: readonly DeadLetter[];
  readonly emulator: EmulatorStats;
  /** Work queue counts once the run ended. */
  readonly workQueue: { readonly visible: number; readonly notVisible: number; readonly delayed: number };
  /** How often each SQS message id was handed to an invocation. */
  readonly deliveries: ReadonlyMap<string, number>;
  readonly drainMs: number;
  /** False when the queues never drained before the run's time limit. */
  readonly drained: boolean;
  /** Free-form counters for the table (faults, invocations, kills...). */
  readonly extra?: readonly (readonly [string, string])[];
}

/** The figures the issue asks for, plus the detail behind them. */
export interface ChaosFigures {
  readonly manifests: number;
  readonly poisonMessages: number;
  readonly resourcesRequested: number;
  readonly tagRemovalsRequested: number;
  readonly removableTags: number;
  readonly done: number;
  readonly tagsRemoved: number;
  readonly failedPermanently: Readonly<Record<string, number>>;
  readonly lost: number;
  readonly pairsWithoutFinalOutcome: number;
  readonly removableTagsLeft: number;
  readonly tagsWronglyRemoved: number;
  readonly contradictions: number;
  readonly unexpectedOutcomes: number;
  readonly unknownPairs: number;
  readonly continuationsSent: number;
  readonly continuationsNeverRun: number;
  readonly deferredLines: number;
  readonly poisonInDlq: number;
  readonly otherDeadLetters: Readonly<Record<string, number>>;
  readonly plannedCalls: number;
  readonly appliedCalls: number;
  readonly appliedThen500: number;
  readonly duplicateAppliedCalls: number;
  readonly duplicatesFromRedelivery: number;
  readonly httpRequests: number;
  readonly redeliveredMessages: number;
  readonly drainMs: number;
}

/** The verdict: figures, and one line per broken invariant (empty when the run proved its point). */
export interface ChaosVerdict {
  readonly figures: ChaosFigures;
  readonly failures: readonly string[];
}

const FINAL = new Set(['removed', 'partial', 'failed', 'rejected']);

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function errorCode(line: LogRecord): string | undefined {
  const error = line.error;
  return typeof error === 'object' && error !== null ? text((error as { code?: unknown }).code) : undefined;
}

function describeExpected(expected: ExpectedOutcome): string {
  return expected.outcome === 'failed' ? `failed ${expected.code}` : expected.outcome;
}

function describeLine(line: LogRecord): string {
  const outcome = text(line.outcome) ?? '?';
  return outcome === 'failed' || outcome === 'partial' ? `${outcome} ${errorCode(line) ?? '?'}` : outcome;
}

/**
 * Checks a finished chaos run against its workload: the emulator's final state, one consistent final outcome
 * per (manifest, resource) pair, every continuation picked up, poison dead-lettered with its reason, and the
 * work queue empty. Counts the figures on the way.
 */
export function verifyRun(run: RunObservation): ChaosVerdict {
  const failures: string[] = [];
  const sample = (list: readonly string[], what: string): void => {
    if (list.length === 0) return;
    failures.push(`${list.length} ${what}: ${list.slice(0, 5).join('; ')}${list.length > 5 ? '; …' : ''}`);
  };

  // 1. The emulator's final state.
  const expected = expectedInventory(run.workload);
  const initial = new Map(
    run.workload.inventory.resources.map((r) => [resourceKey(r.regionId, r.resourceType, r.resourceId), r.tags]),
  );
  const final = new Map(
    run.finalInventory.resources.map((r) => [resourceKey(r.regionId, r.resourceType, r.resourceId), r.tags]),
  );
  const left: string[] = [];
  const wrong: string[] = [];
  let removableTags = 0;
  let tagsRemoved = 0;
  for (const [key, want] of expected) {
    const start = initial.get(key) ?? {};
    const got = final.get(key);
    if (!got) {
      wrong.push(`${key} vanished`);
      continue;
    }
    for (const tag of Object.keys(start)) {
      const shouldStay = Object.hasOwn(want, tag);
      const stayed = Object.hasOwn(got, tag);
      if (!shouldStay) removableTags++;
      if (!stayed) tagsRemoved++;
      if (!shouldStay && stayed) left.push(`${key} ${JSON.stringify(tag)}`);
      if (shouldStay && (!stayed || got[tag] !== start[tag])) wrong.push(`${key} ${JSON.stringify(tag)}`);
    }
    for (const tag of Object.keys(got))
      if (!Object.hasOwn(start, tag)) wrong.push(`${key} gained ${JSON.stringify(tag)}`);
  }
  sample(left, 'removable tags still present');
  sample(wrong, 'tags changed that should not have been');

  // 2. One final outcome per pair, and no two that disagree.
  const pairs = expectedPairs(run.workload);
  const outcomes = run.lines.filter((l) => l.event === 'resource.outcome');
  const byPair = new Map<string, LogRecord[]>();
  for (const line of outcomes) {
    const key = pairKey(
      text(line.manifestId) ?? '?',
      resourceKey(text(line.regionId) ?? '?', text(line.resourceType) ?? '?', text(line.resourceId) ?? '?'),
    );
    const list = byPair.get(key);
    if (list) list.push(line);
    else byPair.set(key, [line]);
  }
  const noFinal: string[] = [];
  const contradictions: string[] = [];
  const unexpected: string[] = [];
  const failedByCode: Record<string, number> = {};
  let done = 0;
  for (const [key, want] of pairs) {
    const finals = (byPair.get(key) ?? []).filter((l) => FINAL.has(text(l.outcome) ?? ''));
    if (finals.length === 0) {
      noFinal.push(key);
      continue;
    }
    const kinds = [...new Set(finals.map(describeLine))];
    if (kinds.length > 1) contradictions.push(`${key}: ${kinds.join(' vs ')}`);
    const kind = kinds[0] ?? '?';
    if (kind !== describeExpected(want)) unexpected.push(`${key}: ${kind}, expected ${describeExpected(want)}`);
    if (kind === 'removed') done++;
    else {
      const code = kind === 'rejected' ? 'rejected (InvalidManifestEntry)' : kind;
      failedByCode[code] = (failedByCode[code] ?? 0) + 1;
    }
  }
  const unknown = [...byPair.keys()].filter((k) => !pairs.has(k));
  sample(noFinal, 'pairs without a final outcome');
  sample(contradictions, 'pairs with contradicting outcomes');
  sample(unexpected, 'pairs with an outcome other than expected');
  sample(unknown, 'outcome lines for pairs the workload never asked for');

  // 3. Every continuation was picked up by some invocation.
  const seenMessages = new Set(outcomes.map((l) => text(l.messageId)).filter((id) => id !== undefined));
  const continuationIds = new Set(
    outcomes.flatMap((l) => (text(l.continuationMessageId) ?? '').split(',').filter((id) => id !== '')),
  );
  const neverRun = [...continuationIds].filter((id) => !seenMessages.has(id));
  sample(neverRun, 'continuations never processed');

  // 4. Poison in the DLQ with its reason; nothing else there.
  const poisonBodies = new Set(run.workload.poison.map((p) => p.body));
  let poisonInDlq = 0;
  for (const poison of run.workload.poison) {
    const found = run.deadLetters.some(
      (d) => d.body === poison.body && d.code === 'InvalidManifest' && (d.reason ?? '') !== '',
    );
    if (found) poisonInDlq++;
    else failures.push(`poison message "${poison.label}" is not in the DLQ with code InvalidManifest and a reason`);
  }
  const otherDeadLetters: Record<string, number> = {};
  for (const dead of run.deadLetters) {
    if (poisonBodies.has(dead.body)) continue;
    const code = dead.code ?? 'redriven without a reason';
    otherDeadLetters[code] = (otherDeadLetters[code] ?? 0) + 1;
  }
  for (const [code, count] of Object.entries(otherDeadLetters)) {
    failures.push(`${count} message(s) of unfinished work dead-lettered (${code})`);
  }

  // 5. The queues drained.
  const q = run.workQueue;
  if (!run.drained || q.visible + q.notVisible + q.delayed > 0) {
    failures.push(`work queue not drained: ${q.visible} visible, ${q.notVisible} in flight, ${q.delayed} delayed`);
  }

  // Calls: what the plans need against what the emulator applied.
  const applicable = new Set(
    run.workload.inventory.resources
      .filter((r) => r.supported !== false)
      .map((r) => resourceKey(r.regionId, r.resourceType, r.resourceId)),
  );
  let plannedCalls = 0;
  for (const manifest of run.workload.manifests) {
    for (const resource of planManifest(parseManifest(manifestBody(manifest))).resources) {
      if (applicable.has(resource.key)) plannedCalls += resource.calls.length;
    }
  }
  const appliedThen500 = run.emulator.calls.filter((c) => c.httpStatus === 500).length;
  const duplicateAppliedCalls = run.emulator.accepted - plannedCalls;
  const redeliveredMessages = [...run.deliveries.values()].filter((n) => n > 1).length;
  if (duplicateAppliedCalls < 0) failures.push(`${-duplicateAppliedCalls} planned calls were never applied`);

  const lostPairs = noFinal.length;
  return {
    failures,
    figures: {
      manifests: run.workload.manifests.length,
      poisonMessages: run.workload.poison.length,
      resourcesRequested: pairs.size,
      tagRemovalsRequested: run.workload.manifests.reduce(
        (n, m) => n + m.entries.reduce((k, e) => k + e.tags.length, 0),
        0,
      ),
      removableTags,
      done,
      tagsRemoved,
      failedPermanently: failedByCode,
      lost: lostPairs + left.length,
      pairsWithoutFinalOutcome: lostPairs,
      removableTagsLeft: left.length,
      tagsWronglyRemoved: wrong.length,
      contradictions: contradictions.length,
      unexpectedOutcomes: unexpected.length,
      unknownPairs: unknown.length,
      continuationsSent: continuationIds.size,
      continuationsNeverRun: neverRun.length,
      deferredLines: outcomes.filter((l) => l.outcome === 'deferred').length,
      poisonInDlq,
      otherDeadLetters,
      plannedCalls,
      appliedCalls: run.emulator.accepted,
      appliedThen500,
      duplicateAppliedCalls,
      duplicatesFromRedelivery: Math.max(0, duplicateAppliedCalls - appliedThen500),
      httpRequests: run.emulator.requests,
      redeliveredMessages,
      drainMs: run.drainMs,
    },
  };
}

/** Reads a dead-letter message's reason attributes. */
export function deadLetterOf(message: Pick<Message, 'Body' | 'MessageAttributes'>): DeadLetter {
  const code = message.MessageAttributes?.[DLQ_ATTRIBUTES.code]?.StringValue;
  const reason = message.MessageAttributes?.[DLQ_ATTRIBUTES.reason]?.StringValue;
  return { body: message.Body ?? '', ...(code !== undefined && { code }), ...(reason !== undefined && { reason }) };
}

const number = (n: number): string => n.toLocaleString('en-US');

/** The figures as an aligned table for the terminal. */
export function formatFigures(verdict: ChaosVerdict, extra: readonly (readonly [string, string])[] = []): string {
  const f = verdict.figures;
  const failed = Object.entries(f.failedPermanently)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([code, n]) => `${code}: ${number(n)}`);
  const failedTotal = Object.values(f.failedPermanently).reduce((a, b) => a + b, 0);
  const rows: [string, string][] = [
    ['manifests', `${number(f.manifests)} (+ ${f.poisonMessages} poison messages)`],
    ['resources requested', `${number(f.resourcesRequested)} (manifest, resource) pairs`],
    [
      'tag removals requested',
      `${number(f.tagRemovalsRequested)} tag specs (${number(f.removableTags)} tags removable)`,
    ],
    ['done', `${number(f.done)} pairs removed; ${number(f.tagsRemoved)} tags removed`],
    ['failed permanently', `${number(failedTotal)}${failed.length > 0 ? ` (${failed.join(', ')})` : ''}`],
    [
      'lost',
      `${number(f.lost)} (pairs without final outcome ${f.pairsWithoutFinalOutcome}, removable tags left ${f.removableTagsLeft})`,
    ],
    ['wrongly changed tags', number(f.tagsWronglyRemoved)],
    [
      'contradicting outcomes',
      `${number(f.contradictions)} (unexpected ${f.unexpectedOutcomes}, unknown pairs ${f.unknownPairs})`,
    ],
    [
      'continuations',
      `${number(f.continuationsSent)} sent, ${f.continuationsNeverRun} never run; ${number(f.deferredLines)} deferred lines`,
    ],
    ['poison in DLQ with reason', `${f.poisonInDlq}/${f.poisonMessages}`],
    [
      'RemoveTags calls',
      `${number(f.plannedCalls)} planned, ${number(f.appliedCalls)} applied, ${number(f.httpRequests)} HTTP requests`,
    ],
    [
      'duplicate API calls',
      `${number(f.duplicateAppliedCalls)} applied beyond the plan: ${number(f.appliedThen500)} after apply-then-500, ` +
        `${number(f.duplicatesFromRedelivery)} from redelivery, kills and cut deadlines`,
    ],
    ['redelivered messages', number(f.redeliveredMessages)],
    ...extra.map(([k, v]): [string, string] => [k, v]),
    ['time to drain', `${(f.drainMs / 1000).toFixed(1)} s`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const table = rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n');
  const verdictLine =
    verdict.failures.length === 0
      ? 'PASS: every invariant holds'
      : `FAIL: ${verdict.failures.length} invariant(s) broken\n${verdict.failures.map((l) => `  - ${l}`).join('\n')}`;
  return `${table}\n${verdictLine}`;
}
