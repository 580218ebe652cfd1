// What the harness itself saw, beyond the verification: its own failures and the extra rows of the figures.
import type { EmulatorStats } from '../emulator/server.ts';
import type { SendFaultStats } from '../local/sqs-fault-proxy.ts';
import type { ChaosOptions } from './chaos-options.ts';
import type { Disruptions } from './disruptions.ts';
import type { RunObserver } from './run-observer.ts';
import type { ChaosVerdict } from './verify.ts';

/** Everything the summary reads. */
export interface RunSummaryInput {
  readonly options: ChaosOptions;
  readonly verdict: ChaosVerdict;
  readonly observer: RunObserver;
  readonly disruptions: Disruptions;
  readonly emulator: EmulatorStats;
  readonly proxy: SendFaultStats;
  /** Containers started, replacements included. */
  readonly containers: number;
}

/** The verdict's failures, then the harness's: a killed container's messages not delivered again, worker errors. */
export function runFailures(input: Pick<RunSummaryInput, 'verdict' | 'observer' | 'disruptions'>): string[] {
  const { verdict, observer, disruptions } = input;
  const failures = [...verdict.failures];
  const kill = disruptions.kill;
  if (kill && !kill.messageIds.every((id) => observer.deliveriesOf(id) >= 2)) {
    failures.push('a message in flight at the SIGKILL was never delivered again');
  }
  // Receive and delete errors are the fault proxy's and the kill's doing; the poller carries on after them.
  for (const error of observer.workerErrors.filter((e) => !e.startsWith('receive') && !e.startsWith('delete'))) {
    failures.push(`worker: ${error}`);
  }
  return failures;
}

/** Rows for the figures table: faults injected, proxy failures, invocations, the kill or crash. */
export function extraRows(input: RunSummaryInput): [string, string][] {
  const { options, verdict, observer, disruptions, emulator, proxy } = input;
  const codes = emulator.errorsByCode;
  const fivexx = (codes.InternalError ?? 0) + (codes.ServiceUnavailable ?? 0);
  const outcomes = Object.entries(observer.byOutcome)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const rows: [string, string][] = [
    [
      'faults injected',
      `${fivexx} 5xx (incl. ${verdict.figures.appliedThen500} apply-then-500), ${emulator.resets} resets, ` +
        `${emulator.hangs} hangs, ${emulator.throttled} throttled ` +
        `(${disruptions.bursts} bursts at ${options.throttleBursts?.factor ?? 1}× the limit)`,
    ],
    [
      'SQS sends failed by proxy',
      `${proxy.failedCalls + proxy.failedBatches} of ${proxy.sends} ` +
        `(${proxy.failedCalls} whole calls, ${proxy.failedBatches} batches with every entry failed)`,
    ],
    [
      'invocations',
      `${observer.invocations} in ${input.containers} containers: ${outcomes}; ${observer.cut} cut to a few seconds`,
    ],
  ];
  const kill = disruptions.kill;
  if (kill) {
    const redelivered = kill.messageIds.filter((id) => observer.deliveriesOf(id) >= 2).length;
    rows.push([
      'SIGKILL',
      `1 container at ${(kill.atMs / 1000).toFixed(1)} s with ${kill.messageIds.length} message(s) in flight; ${redelivered} redelivered`,
    ]);
  } else if (options.mode === 'inline' && options.crashAfterMs !== undefined) {
    rows.push(['crash', '1 invocation failed after its work, before the acknowledgement']);
  }
  if (observer.unparsedLines > 0) rows.push(['unparsed log lines', `${observer.unparsedLines} (cut by the kill)`]);
  return rows;
}
