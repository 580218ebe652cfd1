import { randomBytes } from 'node:crypto';
import { dirname, join, relative, resolve } from 'node:path';
import { runEnqueue } from '../../lib/aws/enqueue.ts';
import { INTERRUPT_EXIT_CODES } from '../../lib/cli/interrupt.ts';
import { loadSelfPrincipalId } from '../../lib/config.ts';
import { ConfigError, InterruptedError } from '../../lib/core/errors.ts';
import { INGEST_TOKEN_HEADER } from '../../lib/lambda/ingest-auth.ts';
import { createLogger } from '../../lib/logger.ts';
import { EMULATOR_ACCESS_KEY_ID, EMULATOR_ACCESS_KEY_SECRET } from '../emulator/defaults.ts';
import { loadInventory } from '../emulator/server.ts';
import { explainBusyPort } from './busy-port.ts';
import { exampleManifests } from './example-manifests.ts';
import { localDestination } from './local-lines.ts';
import { type LocalServices, startLocalServices } from './local-services.ts';

/** The event policy `npm run local` uses unless `--policy` names another, relative to the repo root. */
export const DEFAULT_LOCAL_POLICY = 'policies/no-temporary-tags.yaml';

/** The sample event the banner's `curl` line posts: it names resources the example policy cleans. */
export const CURL_SAMPLE_EVENT = 'actiontrail-run-instances.json';

export interface LocalCommandOptions {
  readonly examplesDir: string;
  /** Send examples/manifests/*.json to the work queue at start. */
  readonly enqueueExamples: boolean;
  /** Stop once the queues are idle instead of serving until Ctrl-C. */
  readonly once: boolean;
  readonly functionTimeoutMs: number;
  readonly logLevel: string;
  /** The `--policy` flag: a path relative to the current directory. @default DEFAULT_LOCAL_POLICY in the repo */
  readonly policyFile?: string;
  /** Fixed ports (0 or absent: any free port). */
  readonly ports?: {
    readonly ingest?: number | undefined;
    readonly sqs?: number | undefined;
    readonly emulator?: number | undefined;
  };
}

/** What the local command reads from the environment: the ingest token and the job's own principal. */
export type LocalCommandEnv = Readonly<Record<string, string | undefined>>;

/**
 * `npm run local`: fauxqs (work and events queues with their DLQs), the ECS emulator, the ingest endpoint
 * and a Lambda-like poller for each of the cleanup and event functions, running the real handler code, all
 * on 127.0.0.1. Returns the exit code; a busy port is a ConfigError (one line, exit 2).
 */
export async function runLocal(
  options: LocalCommandOptions,
  io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream; env?: LocalCommandEnv; signal?: AbortSignal },
): Promise<number> {
  const env = io.env ?? {};
  const repoRoot = dirname(resolve(options.examplesDir));
  const inventory = await loadInventory(join(options.examplesDir, 'inventory.json'));
  const logger = createLogger({
    level: options.logLevel,
    ...(io.stdout.isTTY && { destination: localDestination(io.stdout) }),
  });
  const selfPrincipalId = loadSelfPrincipalId(env);
  let services: LocalServices;
  try {
    services = await startLocalServices({
      inventory,
      maxQps: 50,
      policyFile: options.policyFile === undefined ? join(repoRoot, DEFAULT_LOCAL_POLICY) : resolve(options.policyFile),
      packageRoot: repoRoot,
      ingestToken: env.TAG_CLEANUP_INGEST_TOKEN?.trim() ? env.TAG_CLEANUP_INGEST_TOKEN : randomToken(),
      logger,
      functionTimeoutMs: options.functionTimeoutMs,
      ...(selfPrincipalId !== undefined && { selfPrincipalId }),
      ...(options.ports?.ingest !== undefined && { ingestPort: options.ports.ingest }),
      ...(options.ports?.sqs !== undefined && { sqsPort: options.ports.sqs }),
      ...(options.ports?.emulator !== undefined && { emulatorPort: options.ports.emulator }),
    });
  } catch (error) {
    throw explainBusyPort(error, {
      '--ingest-port': options.ports?.ingest,
      '--sqs-port': options.ports?.sqs,
      '--emulator-port': options.ports?.emulator,
    });
  }
  const say = (line: string) => io.stderr.write(`${line}\n`);
  try {
    for (const line of bannerLines(services, options.examplesDir, repoRoot)) say(line);
    if (options.enqueueExamples) {
      const files = await exampleManifests(options.examplesDir);
      const { stack } = services;
      const code = await runEnqueue({
        files,
        queueUrl: stack.queueUrl,
        sqs: stack.sqs,
        maxMessageBytes: services.maxMessageBytes,
        out: say,
        err: say,
      });
      if (code !== 0) return code;
    }
    if (options.once) {
      await services.runUntilIdle({ timeoutMs: 120_000 });
      const { cleanup, events } = services.pollers;
      say(`queues idle after ${cleanup.invocations} cleanup and ${events.invocations} events invocation(s)`);
      return 0;
    }
    say('polling; Ctrl-C to stop (invocations in flight finish first; a second Ctrl-C quits at once)');
    const reason = await interrupted(io.signal);
    return reason instanceof InterruptedError ? INTERRUPT_EXIT_CODES[reason.signal] : 0;
  } finally {
    await services.close();
  }
}

/**
 * The banner: where everything listens, the credentials each emulator takes (documented values, not
 * secrets), and commands that work as printed from the current directory: a `curl` that posts a sample
 * event with this run's token, an enqueue and a direct run against the emulator.
 */
export function bannerLines(services: LocalServices, examplesDir: string, repoRoot: string): string[] {
  const { stack, events, ingest } = services;
  const fromCwd = (path: string) => shellQuote(relative(process.cwd(), path) || '.');
  const fromRoot = (path: string) => shellQuote(relative(repoRoot, path));
  // `npm run` runs in the repo root, so its paths are relative to the root; say so when it is not here.
  const cd = relative(process.cwd(), repoRoot) === '' ? '' : `cd ${fromCwd(repoRoot)} && `;
  const sample = join(examplesDir, 'events', CURL_SAMPLE_EVENT);
  const manifest = fromRoot(join(examplesDir, 'manifests', '01-compliance-sweep.json'));
  const sqsEnv = `AWS_ENDPOINT_URL_SQS=${stack.sqsEndpoint} AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local`;
  const ecsEnv =
    `TAG_CLEANUP_ECS_ENDPOINT=${stack.emulator.url} ALIBABA_CLOUD_ACCESS_KEY_ID=${EMULATOR_ACCESS_KEY_ID} ` +
    `ALIBABA_CLOUD_ACCESS_KEY_SECRET=${EMULATOR_ACCESS_KEY_SECRET}`;
  return [
    'local stack up on 127.0.0.1:',
    `  SQS (fauxqs)      ${stack.sqsEndpoint}  (any AWS credentials; the commands below use "local")`,
    `  ECS emulator      ${stack.emulator.url}  access key id "${EMULATOR_ACCESS_KEY_ID}", secret "${EMULATOR_ACCESS_KEY_SECRET}" (documented, not secret)`,
    `  ingest endpoint   ${ingest.url}/  header ${INGEST_TOKEN_HEADER}: ${services.ingestToken}`,
    `  work queue        ${stack.queueUrl}`,
    `  work DLQ          ${stack.dlqUrl}`,
    `  events queue      ${events.queueUrl}`,
    `  events DLQ        ${events.dlqUrl}`,
    `  event policy      ${relative(repoRoot, services.policyFile)}`,
    'post a sample event (ingest → events queue → adapter → work queue → cleanup; more in examples/events):',
    `  curl -sS -X POST ${ingest.url}/ -H 'content-type: application/json' -H ${shellQuote(`${INGEST_TOKEN_HEADER}: ${services.ingestToken}`)} --data-binary @${fromCwd(sample)}`,
    'enqueue a manifest:',
    `  ${cd}${sqsEnv} npm run --silent cli -- enqueue ${manifest} --queue-url ${stack.queueUrl}`,
    'run a manifest straight against the emulator:',
    `  ${cd}${ecsEnv} npm run --silent cli -- run ${manifest}`,
  ];
}

/** A `--*-port` flag: a whole number from 0 (any free port) to 65535; undefined when not given. */
export function portFlag(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const port = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`--${name} must be a port number from 0 to 65535 (got '${raw}')`);
  }
  return port;
}

/** A fresh ingest token for this run; printed in the banner, since everything is local. */
function randomToken(): string {
  return randomBytes(24).toString('base64url');
}

/** Quotes a word for POSIX shells when it needs quoting. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * Resolves with the interrupt's reason. The pollers stop after it, each waiting for its invocation in flight,
 * so every record ends handled, handed on, or back in its queue: the same contract as an interrupted run.
 */
function interrupted(signal: AbortSignal | undefined): Promise<unknown> {
  if (signal === undefined) {
    return new Promise((resolve) => {
      process.once('SIGINT', () => resolve(new InterruptedError('SIGINT')));
      process.once('SIGTERM', () => resolve(new InterruptedError('SIGTERM')));
    });
  }
  if (signal.aborted) return Promise.resolve(signal.reason);
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true }));
}
