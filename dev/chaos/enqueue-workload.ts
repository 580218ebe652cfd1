import type { SQSClient } from '@aws-sdk/client-sqs';
import { runEnqueue } from '../../lib/aws/enqueue.ts';
import { sendMessages } from '../../lib/aws/sqs-send.ts';
import { manifestBody } from './manifest-body.ts';
import type { Workload } from './workload-types.ts';

/** Where the workload goes and how. */
export interface EnqueueTarget {
  /** Reaches the queue through the fault proxy, like any producer. */
  readonly producer: SQSClient;
  /** Reaches the queue directly: the poison messages must all get there. */
  readonly direct: SQSClient;
  readonly queueUrl: string;
  readonly say: (line: string) => void;
}

// Enough rounds that a 15% send failure rate leaves nothing behind.
const MAX_ENQUEUE_ROUNDS = 10;

/** Sends every manifest through the fault proxy and every poison message directly. */
export async function enqueueWorkload(workload: Workload, target: EnqueueTarget): Promise<void> {
  await enqueueManifests(workload, target);
  const poison = await sendMessages(
    target.direct,
    target.queueUrl,
    workload.poison.map((p) => ({ body: p.body })),
  );
  if (poison.failed.length > 0) throw new Error(`could not enqueue ${poison.failed.length} poison message(s)`);
  target.say(`enqueued ${workload.manifests.length} manifests and ${workload.poison.length} poison messages`);
}

/** Sends every manifest with the enqueue command's code, re-sending those it reports as not sent. */
async function enqueueManifests(workload: Workload, target: EnqueueTarget): Promise<void> {
  const { producer: sqs, queueUrl, say } = target;
  const bodies = new Map(workload.manifests.map((m) => [m.manifestId, manifestBody(m)]));
  let pending = [...bodies.keys()];
  for (let round = 1; round <= MAX_ENQUEUE_ROUNDS && pending.length > 0; round++) {
    const sent = new Set<string>();
    const code = await runEnqueue({
      files: pending,
      queueUrl,
      sqs,
      maxMessageBytes: 1_048_576,
      readFile: async (file) => bodies.get(file) ?? '',
      out: (line) => {
        const file = line.split(' -> ')[0];
        if (file !== undefined) sent.add(file);
      },
      err: (line) => {
        if (!line.includes(': warning: ')) say(`enqueue: ${line}`);
      },
      sendOptions: { baseDelayMs: 20, maxDelayMs: 200 },
    });
    if (code === 2) throw new Error('the chaos workload has an invalid manifest');
    pending = pending.filter((file) => !sent.has(file));
    if (pending.length > 0) say(`enqueue round ${round}: ${pending.length} manifest(s) to send again`);
  }
  if (pending.length > 0) throw new Error(`${pending.length} manifest(s) could not be enqueued`);
}
