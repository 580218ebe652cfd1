/**
 * One "Lambda container" of the chaos run, in its own process so that the parent can SIGKILL it mid-batch:
 * a Lambda-like poller on the work queue invoking the real handler (handlers/cleanup.ts), whose config comes
 * from the TAG_CLEANUP_* environment like in production. The handler's NDJSON log goes to stdout; the
 * invocation bookkeeping goes to the parent over IPC.
 */
import { depsFromEnvironment, makeHandler } from '../../handlers/cleanup.ts';
import { messageOf } from '../../lib/core/errors.ts';
import { startPoller } from '../local/poller.ts';
import { localSqsClient } from '../local/sqs.ts';
import { cutShort, type ParentMessage, reportingHooks, type WorkerMessage, workerSettings } from './worker-kit.ts';

function tell(message: WorkerMessage): void {
  if (process.connected) process.send?.(message);
}

async function main(): Promise<void> {
  if (!process.send) throw new Error('chaos/worker.ts must be forked by dev/chaos/run.ts with an IPC channel');
  const settings = workerSettings(process.env);
  const handler = makeHandler(depsFromEnvironment(process.env));
  const sqs = localSqsClient(settings.sqsEndpoint);
  const hooks = reportingHooks(tell);
  const poller = startPoller({
    sqs,
    queueUrl: settings.queueUrl,
    batchSize: settings.batchSize,
    functionTimeoutMs: settings.functionTimeoutMs,
    waitTimeSeconds: 1,
    handler: cutShort(handler, settings, hooks.cut),
    onInvoke: hooks.onInvoke,
    onError: hooks.onError,
  });
  process.on('message', (message: ParentMessage) => {
    if (message.type !== 'stop') return;
    poller.stop().then(
      () => {
        sqs.destroy();
        tell({ type: 'stopped' });
        process.disconnect();
        // Sockets of timed-out handler calls may still be open; the run is over for this container.
        setTimeout(() => process.exit(0), 200).unref();
      },
      (error: unknown) => {
        tell({ type: 'error', during: 'stop', message: messageOf(error) });
        process.exit(1);
      },
    );
  });
  // The parent is gone (Ctrl-C, crash): a container must not outlive its run.
  process.once('disconnect', () => setTimeout(() => process.exit(0), 500).unref());
  tell({ type: 'ready' });
}

main().catch((error: unknown) => {
  process.stderr.write(`chaos worker: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
