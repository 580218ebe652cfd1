import type { ChildProcess } from 'node:child_process';
import type { WorkerMessage } from './worker-kit.ts';

/** One Lambda-like handler container of a chaos run: a forked process, or a poller in this process. */
export interface Container {
  readonly id: number;
  /** Message ids of the running invocation, and when it started. */
  busy?: { readonly messageIds: readonly string[]; readonly since: number };
  /** Handler runs not settled yet, including those left running by a timed-out invocation. */
  running: number;
  stop(): Promise<void>;
  /** Only for `process` containers. */
  readonly child?: ChildProcess;
}

/** Where a container sends what it sees: each handler log line, and each message about its invocations. */
export interface ContainerSinks {
  readonly keep: (line: string) => void;
  readonly onMessage: (container: Container, message: WorkerMessage) => void;
  /** Problems of the container itself (a bad exit), reported as run failures. */
  readonly workerError: (error: string) => void;
}
