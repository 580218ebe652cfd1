#!/usr/bin/env node
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { CliCommand, CliContext } from '../lib/cli/commands/command.ts';
import { enqueueCli } from '../lib/cli/commands/enqueue.ts';
import { eventCli } from '../lib/cli/commands/event.ts';
import { runCli } from '../lib/cli/commands/run.ts';
import { sweepCli } from '../lib/cli/commands/sweep.ts';
import { onInterrupt } from '../lib/cli/interrupt.ts';
import { positiveIntFlag, rateFlag } from '../lib/cli/options.ts';
import { loadConfig } from '../lib/config.ts';
import { CleanupError, messageOf } from '../lib/core/errors.ts';
import packageJson from '../package.json' with { type: 'json' };

/** The dev commands: their modules live in dev/ and load only when one of them runs. */
const devCommands: readonly CliCommand[] = [
  {
    name: 'emulator',
    summary: 'serve the local ECS emulator on 127.0.0.1 (dev)',
    usage: `tag-cleanup emulator [--port N] [--inventory file.json] [--max-qps N] [--describe-tags-max-qps N]
                     [--list-tag-resources-max-qps N] [--list-page-size N] [--fault-rate R] [--reset-rate R]
                     [--hang-rate R] [--apply-then-500-rate R] [--latency-ms N] [--seed N]

Serves DescribeTags, ListTagResources and RemoveTags, signed and checked like ECS, seeded from
examples/inventory.json. Credentials: access key id "emulator-key-id", secret "emulator-key-secret".`,
    async main(args, context) {
      const { runEmulatorCommand } = await import('../dev/emulator/command.ts');
      return runEmulatorCommand(args, context);
    },
  },
  {
    name: 'demo',
    summary: 'what npm start runs: the examples against a local emulator (dev)',
    usage: 'tag-cleanup demo [--fault-rate R] [--reset-rate R] [--seed N]',
    async main(args, context) {
      const { values } = parseArgs({
        args: [...args],
        options: {
          'fault-rate': { type: 'string', default: '0.05' },
          'reset-rate': { type: 'string', default: '0.03' },
          seed: { type: 'string', default: '7' },
        },
      });
      const config = loadConfig(context.env);
      const { runDemo } = await import('../dev/demo/run-demo.ts');
      const faults = {
        errorRate: rateFlag('fault-rate', values['fault-rate']) ?? 0,
        resetRate: rateFlag('reset-rate', values['reset-rate']) ?? 0,
        latencyMs: 5,
        jitterMs: 20,
      };
      return runDemo(
        {
          examplesDir: context.examplesDir,
          faults,
          seed: positiveIntFlag('seed', values.seed) ?? 7,
          emulatorMaxQps: 50,
          logLevel: config.logLevel,
        },
        { stdout: context.stdout, stderr: context.stderr },
      );
    },
  },
  {
    name: 'local',
    summary: 'the whole stack on 127.0.0.1: SQS and ECS emulators, ingest endpoint, Lambda-like pollers (dev)',
    usage: `tag-cleanup local [--no-examples] [--once] [--function-timeout-ms N] [--policy FILE]
                   [--ingest-port N] [--sqs-port N] [--emulator-port N]

npm run local: fauxqs with the work and events queues and their DLQs, the ECS emulator (access key id
"emulator-key-id", secret "emulator-key-secret"), the ingest endpoint (Function URL events for the real
ingest handler; token from TAG_CLEANUP_INGEST_TOKEN, else a random one, printed), and two pollers that
invoke the real cleanup and event handlers the way Lambda's SQS event source does (this replaces
\`serverless invoke local\`). The banner prints a curl line that posts a sample event.
  --policy FILE       the event adapter's policy (default policies/no-temporary-tags.yaml)
  --*-port N          fixed ports for a second terminal (default 0: any free port)`,
    async main(args, context) {
      const { values } = parseArgs({
        args: [...args],
        options: {
          'no-examples': { type: 'boolean', default: false },
          once: { type: 'boolean', default: false },
          'function-timeout-ms': { type: 'string', default: '30000' },
          policy: { type: 'string' },
          'ingest-port': { type: 'string' },
          'sqs-port': { type: 'string' },
          'emulator-port': { type: 'string' },
        },
      });
      const config = loadConfig(context.env);
      const { runLocal, portFlag } = await import('../dev/local/local-command.ts');
      return runLocal(
        {
          examplesDir: context.examplesDir,
          enqueueExamples: !values['no-examples'],
          once: values.once,
          functionTimeoutMs: positiveIntFlag('function-timeout-ms', values['function-timeout-ms']) ?? 30_000,
          logLevel: config.logLevel,
          ...(values.policy !== undefined && { policyFile: values.policy }),
          ports: {
            ingest: portFlag('ingest-port', values['ingest-port']),
            sqs: portFlag('sqs-port', values['sqs-port']),
            emulator: portFlag('emulator-port', values['emulator-port']),
          },
        },
        { stdout: context.stdout, stderr: context.stderr, env: context.env, signal: context.signal },
      );
    },
  },
];

const COMMANDS: readonly CliCommand[] = [runCli, sweepCli, eventCli, enqueueCli, ...devCommands];

const OVERVIEW = `Usage: tag-cleanup <command> [options]     (tag-cleanup <command> --help for its options)

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`).join('\n')}

  --version  print the version
Environment: see README (TAG_CLEANUP_*, ALIBABA_CLOUD_*, AWS_REGION).`;

/** Parses argv and runs one command; returns the process exit code. */
export async function main(argv: readonly string[], context: CliContext): Promise<number> {
  const [name, ...args] = argv;
  if (name === '--version' || name === '-V' || name === 'version') {
    context.stdout.write(`${packageJson.version}\n`);
    return 0;
  }
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    context.stdout.write(`${OVERVIEW}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    context.stderr.write(`tag-cleanup: unknown command '${name}'\n\n${OVERVIEW}\n`);
    return 2;
  }
  if (wantsHelp(args)) {
    context.stdout.write(`Usage: ${command.usage}\n`);
    return 0;
  }
  try {
    return await command.main(args, context);
  } catch (error) {
    // Bad flags and config are the user's to fix: say which in one line and exit 2. Anything else is our bug.
    if (error instanceof CleanupError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      context.stderr.write(`tag-cleanup: ${messageOf(error)} (tag-cleanup ${command.name} --help)\n`);
      return 2;
    }
    throw error;
  }
}

/** `--help` or `-h` before any `--`, wherever it stands among the command's arguments. */
function wantsHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/**
 * Runs the CLI in this process: signals, streams and the exit code. `examplesDir` comes from the caller
 * because the bundle (dist/cli) and the sources (handlers/) sit at different depths.
 */
export async function runCliProcess(argv: readonly string[], paths: { readonly examplesDir: string }): Promise<void> {
  // The SDK prints a Node-version notice on every client; the supported versions are in the README.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const interrupt = onInterrupt();
  try {
    process.exitCode = await main(argv, {
      stdout: process.stdout,
      stderr: process.stderr,
      env: process.env,
      signal: interrupt.signal,
      examplesDir: paths.examplesDir,
    });
  } catch (error) {
    process.stderr.write(`tag-cleanup: unexpected error: ${messageOf(error)}\n`);
    process.exitCode = 1;
  } finally {
    interrupt.dispose();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await runCliProcess(process.argv.slice(2), { examplesDir: fileURLToPath(new URL('../examples', import.meta.url)) });
}
