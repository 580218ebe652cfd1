import type { ChaosVerdict } from './verify.ts';

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
