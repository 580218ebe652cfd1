import { type ChildProcess, fork } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Container, ContainerSinks } from './container.ts';
import type { ParentMessage, WorkerMessage } from './worker-kit.ts';

const WORKER_PATH = fileURLToPath(new URL('./worker.ts', import.meta.url));
// How long a stopping worker may take to finish its invocations before it is killed.
const STOP_GRACE_MS = 15_000;

/** A container as a child process running chaos/worker.ts; its stdout is the handler's log. */
export async function forkContainer(id: number, env: NodeJS.ProcessEnv, sinks: ContainerSinks): Promise<Container> {
  const child = fork(WORKER_PATH, [], {
    execArgv: ['--import', import.meta.resolve('tsx')],
    env: { ...env, CHAOS_WORKER_ID: String(id) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const stdoutDone = new Promise<void>((resolve) => {
    if (!child.stdout) return resolve();
    createInterface({ input: child.stdout, crlfDelay: Number.POSITIVE_INFINITY })
      .on('line', sinks.keep)
      .on('close', resolve);
  });
  const stderr = stderrTail(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const container: Container = {
    id,
    child,
    running: 0,
    stop: async () => {
      await stopChild(child, exited);
      await stdoutDone;
      if (child.exitCode !== 0 && child.signalCode !== 'SIGKILL') {
        sinks.workerError(
          `container ${id} exited with ${child.exitCode}: ${stderr().split('\n').slice(-3).join(' | ')}`,
        );
      }
    },
  };
  await new Promise<void>((resolve, reject) => {
    child.on('message', (message: WorkerMessage) => {
      if (message.type === 'ready') resolve();
      sinks.onMessage(container, message);
    });
    child.once('exit', (code) =>
      reject(new Error(`container ${id} exited with ${code} before it was ready: ${stderr()}`)),
    );
  });
  return container;
}

/** The last few kB of the child's stderr, trimmed, to explain a bad exit. */
function stderrTail(child: ChildProcess): () => string {
  let tail = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-4000);
  });
  return () => tail.trim();
}

/** Asks the worker to stop after its invocations, and kills it when it has not exited within the grace time. */
async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode === null && child.signalCode === null && child.connected) {
    child.send({ type: 'stop' } satisfies ParentMessage);
  }
  const stopped = await Promise.race([exited.then(() => true), delay(STOP_GRACE_MS).then(() => false)]);
  if (!stopped) child.kill('SIGKILL');
  await exited;
}
