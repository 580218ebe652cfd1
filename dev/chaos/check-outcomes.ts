import { expectedPairs, pairKey, resourceKey } from './expected.ts';
import { errorCode, type LogRecord, text } from './log-record.ts';
import type { ExpectedOutcome, Workload } from './workload-types.ts';

/** The outcome lines against the pairs the workload asked for. */
export interface OutcomeCheck {
  /** Every (manifest, resource) pair of the workload. */
  readonly pairs: number;
  /** Every `resource.outcome` line. */
  readonly outcomes: readonly LogRecord[];
  /** Pairs without a final outcome: lost. */
  readonly noFinal: readonly string[];
  /** Pairs with two final outcomes that disagree. */
  readonly contradictions: readonly string[];
  /** Pairs whose final outcome is not the one the workload built them to have. */
  readonly unexpected: readonly string[];
  /** Pairs with an outcome line that the workload never asked for. */
  readonly unknown: readonly string[];
  /** Pairs removed. */
  readonly done: number;
  /** Pairs that ended otherwise, by outcome and code. */
  readonly failedByCode: Readonly<Record<string, number>>;
}

const FINAL = new Set(['removed', 'partial', 'failed', 'rejected']);

/** Checks that each pair has one final outcome, the one expected, and that no line names a pair never asked for. */
export function checkOutcomes(workload: Workload, lines: readonly LogRecord[]): OutcomeCheck {
  const pairs = expectedPairs(workload);
  const outcomes = lines.filter((l) => l.event === 'resource.outcome');
  const byPair = linesByPair(outcomes);
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
  return { pairs: pairs.size, outcomes, noFinal, contradictions, unexpected, unknown, done, failedByCode };
}

function linesByPair(outcomes: readonly LogRecord[]): Map<string, LogRecord[]> {
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
  return byPair;
}

function describeExpected(expected: ExpectedOutcome): string {
  return expected.outcome === 'failed' ? `failed ${expected.code}` : expected.outcome;
}

function describeLine(line: LogRecord): string {
  const outcome = text(line.outcome) ?? '?';
  return outcome === 'failed' || outcome === 'partial' ? `${outcome} ${errorCode(line) ?? '?'}` : outcome;
}
