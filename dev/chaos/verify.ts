import type { EmulatorStats, InventoryFile } from '../emulator/server.ts';
import { type ContinuationCheck, checkContinuations } from './check-continuations.ts';
import { checkDeadLetters, type DeadLetter, type DeadLetterCheck } from './check-dead-letters.ts';
import { checkInventory, type InventoryCheck } from './check-inventory.ts';
import { checkOutcomes, type OutcomeCheck } from './check-outcomes.ts';
import { type CallCount, countCalls } from './count-calls.ts';
import type { LogRecord } from './log-record.ts';
import type { Workload } from './workload-types.ts';

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
  const inventory = checkInventory(run.workload, run.finalInventory);
  sample(inventory.left, 'removable tags still present');
  sample(inventory.wrong, 'tags changed that should not have been');
  const outcomes = checkOutcomes(run.workload, run.lines);
  sample(outcomes.noFinal, 'pairs without a final outcome');
  sample(outcomes.contradictions, 'pairs with contradicting outcomes');
  sample(outcomes.unexpected, 'pairs with an outcome other than expected');
  sample(outcomes.unknown, 'outcome lines for pairs the workload never asked for');
  const continuations = checkContinuations(outcomes.outcomes);
  sample(continuations.neverRun, 'continuations never processed');
  const deadLetters = checkDeadLetters(run.workload.poison, run.deadLetters);
  failures.push(...deadLetters.failures);
  const q = run.workQueue;
  if (!run.drained || q.visible + q.notVisible + q.delayed > 0) {
    failures.push(`work queue not drained: ${q.visible} visible, ${q.notVisible} in flight, ${q.delayed} delayed`);
  }
  const calls = countCalls(run.workload, run.emulator);
  if (calls.duplicateAppliedCalls < 0)
    failures.push(`${-calls.duplicateAppliedCalls} planned calls were never applied`);
  return { failures, figures: figuresOf(run, { inventory, outcomes, continuations, deadLetters, calls }) };
}

/** What the checks found, for {@link figuresOf}. */
interface Checks {
  readonly inventory: InventoryCheck;
  readonly outcomes: OutcomeCheck;
  readonly continuations: ContinuationCheck;
  readonly deadLetters: DeadLetterCheck;
  readonly calls: CallCount;
}

/** The figures the issue asks for, from what the checks found. */
function figuresOf(run: RunObservation, checks: Checks): ChaosFigures {
  const { inventory, outcomes, continuations, deadLetters, calls } = checks;
  const lostPairs = outcomes.noFinal.length;
  return {
    manifests: run.workload.manifests.length,
    poisonMessages: run.workload.poison.length,
    resourcesRequested: outcomes.pairs,
    tagRemovalsRequested: run.workload.manifests.reduce(
      (n, m) => n + m.entries.reduce((k, e) => k + e.tags.length, 0),
      0,
    ),
    removableTags: inventory.removableTags,
    done: outcomes.done,
    tagsRemoved: inventory.tagsRemoved,
    failedPermanently: outcomes.failedByCode,
    lost: lostPairs + inventory.left.length,
    pairsWithoutFinalOutcome: lostPairs,
    removableTagsLeft: inventory.left.length,
    tagsWronglyRemoved: inventory.wrong.length,
    contradictions: outcomes.contradictions.length,
    unexpectedOutcomes: outcomes.unexpected.length,
    unknownPairs: outcomes.unknown.length,
    continuationsSent: continuations.sent,
    continuationsNeverRun: continuations.neverRun.length,
    deferredLines: outcomes.outcomes.filter((l) => l.outcome === 'deferred').length,
    poisonInDlq: deadLetters.poisonInDlq,
    otherDeadLetters: deadLetters.otherDeadLetters,
    plannedCalls: calls.plannedCalls,
    appliedCalls: run.emulator.accepted,
    appliedThen500: calls.appliedThen500,
    duplicateAppliedCalls: calls.duplicateAppliedCalls,
    duplicatesFromRedelivery: Math.max(0, calls.duplicateAppliedCalls - calls.appliedThen500),
    httpRequests: run.emulator.requests,
    redeliveredMessages: [...run.deliveries.values()].filter((n) => n > 1).length,
    drainMs: run.drainMs,
  };
}
