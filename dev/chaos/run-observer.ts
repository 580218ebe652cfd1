import type { Container, ContainerSinks } from './container.ts';
import type { LogRecord } from './log-record.ts';
import type { WorkerMessage } from './worker-kit.ts';

// Events the verification needs; the rest of each handler's log is dropped to keep memory flat.
const KEPT_EVENTS = new Set(['resource.outcome', 'message.poison', 'invocation.fatal', 'manifest.continued']);

/** What the parent sees of its containers while the run goes: the log lines that matter, and counters. */
export class RunObserver implements ContainerSinks {
  /** The handler log lines the verification uses. */
  readonly lines: LogRecord[] = [];
  invocations = 0;
  /** Invocations whose remaining time was cut. */
  cut = 0;
  readonly byOutcome: Record<string, number> = {};
  /** How often each SQS message id was handed to an invocation. */
  readonly deliveries = new Map<string, number>();
  /** Log lines that were not JSON, e.g. the last line of a killed process. */
  unparsedLines = 0;
  readonly workerErrors: string[] = [];

  readonly keep = (line: string): void => {
    if (line.trim() === '') return;
    try {
      const record = JSON.parse(line) as LogRecord;
      if (KEPT_EVENTS.has(String(record.event))) this.lines.push(record);
    } catch {
      this.unparsedLines++;
    }
  };

  /** Counts what a container reports, and marks it busy from an invocation's start to its end. */
  readonly onMessage = (container: Container, message: WorkerMessage): void => {
    if (message.type === 'start') {
      container.busy = { messageIds: message.messageIds, since: Date.now() };
      container.running++;
      this.invocations++;
      if (message.cutMs !== undefined) this.cut++;
      for (const id of message.messageIds) this.deliveries.set(id, this.deliveriesOf(id) + 1);
    } else if (message.type === 'end') {
      delete container.busy;
      this.byOutcome[message.outcome] = (this.byOutcome[message.outcome] ?? 0) + 1;
    } else if (message.type === 'settled') {
      container.running--;
    } else if (message.type === 'error') {
      this.workerError(`${message.during}: ${message.message}`);
    }
  };

  readonly workerError = (error: string): void => {
    this.workerErrors.push(error);
  };

  /** How often a message was handed to an invocation. */
  deliveriesOf(messageId: string): number {
    return this.deliveries.get(messageId) ?? 0;
  }
}
