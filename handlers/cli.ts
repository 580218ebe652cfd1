#!/usr/bin/env node
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { defaultCredentialsChain } from '../lib/alibaba/credentials.ts';
import { runEnqueue } from '../lib/aws/enqueue.ts';
import { positiveIntFlag, positiveNumberFlag, rateFlag, urlFlag } from '../lib/cli/options.ts';
import { runCommand } from '../lib/cli/run-command.ts';
import { loadConfig } from '../lib/config.ts';
import { CleanupError, messageOf } from '../lib/core/errors.ts';

const USAGE = `Usage:
  tag-cleanup run <manifest.json>... | -   [--dry-run] [--endpoint URL] [--max-qps N] [--concurrency N]
                                          [--max-attempts N] [--report out.csv|out.json]
  tag-cleanup emulator [--port N] [--inventory file.json] [--max-qps N] [--fault-rate R] [--reset-rate R]
                       [--hang-rate R] [--apply-then-500-rate R] [--latency-ms N] [--seed N]
                       [--describe-tags-max-qps N] [--list-tag-resources-max-qps N] [--list-page-size N]
                       (--max-qps limits RemoveTags; each API has its own quota)
  tag-cleanup enqueue <manifest.json>... | -  --queue-url URL
  tag-cleanup local [--no-examples] [--once] [--function-timeout-ms N]
                       (npm run local: SQS + ECS emulators and a Lambda-like poller on 127.0.0.1)
  tag-cleanup demo     (what \`npm start\` runs: the examples against a local emulator)

Exit codes: 0 every resource removed (or planned), 1 some resource was not, 2 invalid manifest, options or
credentials. Environment: see README (TAG_CLEANUP_*, ALIBABA_CLOUD_*).`;

const examplesDir = fileURLToPath(new URL('../examples', import.meta.url));

/** Parses argv and runs one command; returns the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'run':
        return await run(rest);
      case 'emulator':
        return await emulator(rest);
      case 'demo':
        return await demo(rest);
      case 'enqueue':
        return await enqueue(rest);
      case 'local':
        return await local(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`);
        return command === undefined ? 2 : 0;
      default:
        process.stderr.write(`tag-cleanup: unknown command '${command}'\n${USAGE}\n`);
        return 2;
    }
  } catch (error) {
    // Bad flags and config are the user's to fix: say which and exit 2. Anything else is our bug.
    if (error instanceof CleanupError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`tag-cleanup: ${messageOf(error)}\n`);
      return 2;
    }
    throw error;
  }
}

async function run(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      'dry-run': { type: 'boolean', default: false },
      endpoint: { type: 'string' },
      'max-qps': { type: 'string' },
      concurrency: { type: 'string' },
      'max-attempts': { type: 'string' },
      report: { type: 'string' },
    },
  });
  if (positionals.length === 0) {
    process.stderr.write(`tag-cleanup: run needs at least one manifest file (or - for stdin)\n${USAGE}\n`);
    return 2;
  }
  const config = loadConfig();
  const endpoint = urlFlag('endpoint', values.endpoint) ?? config.ecsEndpoint;
  const maxQps = positiveNumberFlag('max-qps', values['max-qps']) ?? config.maxQps;
  const { exitCode } = await runCommand(
    {
      files: positionals,
      dryRun: values['dry-run'],
      ...(endpoint !== undefined && { endpoint }),
      ...(maxQps !== undefined && { maxQps }),
      concurrency: positiveIntFlag('concurrency', values.concurrency) ?? config.concurrency,
      maxAttempts: positiveIntFlag('max-attempts', values['max-attempts']) ?? config.maxAttempts,
      requestTimeoutMs: config.requestTimeoutMs,
      maxResources: config.maxResources,
      ...(values.report !== undefined && { report: values.report }),
      logLevel: config.logLevel,
    },
    { stdout: process.stdout, stderr: process.stderr, credentials: defaultCredentialsChain(process.env) },
  );
  return exitCode;
}

async function emulator(args: readonly string[]): Promise<number> {
  // Dev tooling is loaded only for its own commands, so `run` never loads the emulator.
  const { runEmulatorCommand } = await import('../dev/emulator/command.ts');
  return runEmulatorCommand(args, { examplesDir, stdout: process.stdout, stderr: process.stderr });
}

async function demo(args: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      'fault-rate': { type: 'string', default: '0.05' },
      'reset-rate': { type: 'string', default: '0.03' },
      seed: { type: 'string', default: '7' },
    },
  });
  const config = loadConfig();
  const { runDemo } = await import('../dev/demo/run-demo.ts');
  return runDemo(
    {
      examplesDir,
      faults: {
        errorRate: rateFlag('fault-rate', values['fault-rate']) ?? 0,
        resetRate: rateFlag('reset-rate', values['reset-rate']) ?? 0,
        latencyMs: 5,
        jitterMs: 20,
      },
      seed: positiveIntFlag('seed', values.seed) ?? 7,
      emulatorMaxQps: 50,
      logLevel: config.logLevel,
    },
    { stdout: process.stdout, stderr: process.stderr },
  );
}

async function enqueue(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: { 'queue-url': { type: 'string' } },
  });
  const queueUrl = urlFlag('queue-url', values['queue-url']);
  if (queueUrl === undefined || positionals.length === 0) {
    process.stderr.write(`tag-cleanup: enqueue needs manifest files and --queue-url\n${USAGE}\n`);
    return 2;
  }
  const config = loadConfig();
  const { SQSClient } = await import('@aws-sdk/client-sqs');
  // Retries happen in one layer (lib/aws/sqs-send.ts), so the SDK's own are off.
  const sqs = new SQSClient({ maxAttempts: 1, useQueueUrlAsEndpoint: !config.sqsEndpointOverridden });
  try {
    return await runEnqueue({
      files: positionals,
      queueUrl,
      sqs,
      maxMessageBytes: config.maxMessageBytes,
      parseOptions: { maxResources: config.maxResources },
      out: (line) => process.stdout.write(`${line}\n`),
      err: (line) => process.stderr.write(`${line}\n`),
    });
  } finally {
    sqs.destroy();
  }
}

async function local(args: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      'no-examples': { type: 'boolean', default: false },
      once: { type: 'boolean', default: false },
      'function-timeout-ms': { type: 'string', default: '30000' },
    },
  });
  const config = loadConfig();
  // Dev tooling (fauxqs) is loaded only for this command, so `run` works without dev dependencies.
  const { runLocal } = await import('../dev/local/local-command.ts');
  return runLocal(
    {
      examplesDir,
      enqueueExamples: !values['no-examples'],
      once: values.once,
      functionTimeoutMs: positiveIntFlag('function-timeout-ms', values['function-timeout-ms']) ?? 30_000,
      logLevel: config.logLevel,
    },
    { stdout: process.stdout, stderr: process.stderr },
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`tag-cleanup: unexpected error: ${messageOf(error)}\n`);
      process.exitCode = 1;
    },
  );
}
