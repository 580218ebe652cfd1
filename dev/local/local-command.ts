import { join } from 'node:path';
import { EcsClient } from '../../lib/alibaba/client.ts';
import { staticCredentials } from '../../lib/alibaba/credentials.ts';
import { runEnqueue } from '../../lib/aws/enqueue.ts';
import { SqsQueueSender } from '../../lib/aws/sqs-send.ts';
import { prettyDestination } from '../../lib/cli/pretty.ts';
import { loadConfig, requireQueues } from '../../lib/config.ts';
import { AdaptiveRateController } from '../../lib/engine/rate-controller.ts';
import { makeBatchHandler, type SqsBatchHandler } from '../../lib/lambda/batch.ts';
import { createLogger } from '../../lib/logger.ts';
import { loadInventory } from '../emulator/server.ts';
import { exampleManifests } from './example-manifests.ts';
import { type LocalStack, startLocalStack } from './stack.ts';

export interface LocalCommandOptions {
  readonly examplesDir: string;
  /** Send examples/manifests/*.json to the work queue at start. */
  readonly enqueueExamples: boolean;
  /** Stop once the queues are idle instead of serving until Ctrl-C. */
  readonly once: boolean;
  readonly functionTimeoutMs: number;
  readonly logLevel: string;
}

function printBanner(stack: LocalStack, say: (line: string) => void): void {
  say(`local stack up: SQS ${stack.sqsEndpoint}, ECS emulator ${stack.emulator.url}`);
  say(`  work queue ${stack.queueUrl}\n  dead-letter queue ${stack.dlqUrl}`);
  say(`  enqueue from another terminal: AWS_ENDPOINT_URL_SQS=${stack.sqsEndpoint} AWS_REGION=us-east-1 \\`);
  say(
    `    AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local tag-cleanup enqueue <manifest.json> --queue-url ${stack.queueUrl}`,
  );
}

/** Sends examples/manifests/*.json to the work queue, as `tag-cleanup enqueue` would; returns its exit code. */
async function enqueueExamples(
  examplesDir: string,
  stack: LocalStack,
  maxMessageBytes: number,
  say: (line: string) => void,
): Promise<number> {
  const files = await exampleManifests(examplesDir);
  return runEnqueue({ files, queueUrl: stack.queueUrl, sqs: stack.sqs, maxMessageBytes, out: say, err: say });
}

/** The real cleanup handler wired to the stack, as the Lambda would be: its config, ECS client and logger. */
function cleanupHandler(
  stack: LocalStack,
  options: LocalCommandOptions,
  stdout: NodeJS.WriteStream,
): { config: ReturnType<typeof requireQueues>; client: EcsClient; handler: SqsBatchHandler } {
  const logger = createLogger({
    level: options.logLevel,
    ...(stdout.isTTY && { destination: prettyDestination(stdout) }),
  });
  const config = requireQueues(
    loadConfig({ ...stack.env, TAG_CLEANUP_DEADLINE_MARGIN_MS: String(Math.min(5000, options.functionTimeoutMs / 4)) }),
  );
  const client = new EcsClient({
    endpoint: stack.emulator.url,
    credentials: staticCredentials(stack.credentials),
    requestTimeoutMs: 2000,
  });
  const handler = makeBatchHandler({
    config,
    queue: new SqsQueueSender(stack.sqs),
    client,
    rate: new AdaptiveRateController(),
    logger,
  });
  return { config, client, handler };
}

/**
 * `npm run local`: fauxqs (work queue + DLQ with redrive), the ECS emulator and a poller that invokes the
 * real handler code like Lambda's SQS event source mapping, all on 127.0.0.1.
 */
export async function runLocal(
  options: LocalCommandOptions,
  io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream },
): Promise<number> {
  const inventory = await loadInventory(join(options.examplesDir, 'inventory.json'));
  let handler: SqsBatchHandler | undefined;
  const stack = await startLocalStack({
    inventory,
    maxQps: 50,
    poller: {
      functionTimeoutMs: options.functionTimeoutMs,
      handler: (event, context) => {
        if (!handler) throw new Error('handler not ready');
        return handler(event, context);
      },
    },
  });
  const { config, client, handler: batchHandler } = cleanupHandler(stack, options, io.stdout);
  handler = batchHandler;
  const say = (line: string) => io.stderr.write(`${line}\n`);
  try {
    printBanner(stack, say);
    if (options.enqueueExamples) {
      const code = await enqueueExamples(options.examplesDir, stack, config.maxMessageBytes, say);
      if (code !== 0) return code;
    }
    if (options.once) {
      await stack.poller?.runUntilIdle({ timeoutMs: 120_000 });
      say(`queues idle after ${stack.poller?.invocations ?? 0} invocation(s)`);
      return 0;
    }
    say('polling; Ctrl-C to stop');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    return 0;
  } finally {
    client.close();
    await stack.close();
  }
}
