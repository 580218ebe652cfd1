import { stat } from 'node:fs/promises';
import type { EcsClient } from '../alibaba/client.ts';
import type { CredentialsSource } from '../alibaba/credentials.ts';
import { enqueueSweepManifests } from '../aws/enqueue-sweep-manifests.ts';
import { CredentialsError, InterruptedError, messageOf, PolicyError } from '../core/errors.ts';
import { parseManifest } from '../core/manifest/parse.ts';
import type { WireManifest } from '../core/manifest/wire.ts';
import type { ParsedPolicy } from '../core/policy/policy.ts';
import type { QueueSender } from '../core/ports.ts';
import { exitCodeFor, runManifests } from '../engine/run-manifests.ts';
import { listAndPlanSweep, type SweepResult, sweepSummary } from '../engine/sweep/list-and-plan.ts';
import type { Logger } from '../logger.ts';
import { loadPolicyFile } from '../policy-file.ts';
import { type CallSettings, ecsClientFor, removalExecutor } from './call-settings.ts';
import { INTERRUPT_EXIT_CODES } from './interrupt.ts';
import { reportPathProblem, writeReport } from './report-file.ts';
import { writeManifestFiles } from './sweep/deliver-sweep.ts';
import { dryRunTable } from './sweep/dry-run-table.ts';
import { terminalLogger } from './terminal-logger.ts';

/** What a sweep does with its manifests. */
export type SweepMode =
  | { readonly kind: 'run' }
  | { readonly kind: 'dry-run' }
  | { readonly kind: 'out'; readonly dir: string }
  | { readonly kind: 'enqueue'; readonly queueUrl: string; readonly maxMessageBytes: number };

/** Options of `tag-cleanup sweep`, already validated. */
export interface SweepCommandOptions extends CallSettings {
  readonly policyFile: string;
  /** A subset of the policy's regions; empty means all of them. */
  readonly regions: readonly string[];
  readonly mode: SweepMode;
  readonly force: boolean;
  readonly report?: string;
}

export interface SweepCommandIo {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  readonly credentials: CredentialsSource;
  /** The work queue, for `--enqueue`. */
  readonly queue?: QueueSender;
  readonly logger?: Logger;
  readonly now?: () => number;
  /** Aborted on Ctrl-C or SIGTERM: listing stops, no new removal starts, everything found is reported. */
  readonly signal?: AbortSignal;
}

/**
 * `tag-cleanup sweep`: lists what a policy covers and removes it (or plans, writes or enqueues it).
 * Exit 0 when everything matched was handled, 1 when a resource failed, the brake refused or the listing
 * was incomplete, 2 for a bad policy, option or credentials (missing, or refused by the API while listing).
 */
export async function sweepCommand(options: SweepCommandOptions, io: SweepCommandIo): Promise<number> {
  const now = io.now ?? Date.now;
  const startedAt = now();
  const prepared = await prepare(options, io);
  if (typeof prepared === 'number') return prepared;
  const { parsed, regionIds } = prepared;
  const logger = io.logger ?? terminalLogger(io.stdout, options.logLevel);
  const client = ecsClientFor(options, io.credentials);
  try {
    const result = await listAndPlanSweep(parsed, {
      client,
      logger,
      regionIds,
      startedAt,
      force: options.force,
      maxResourcesPerManifest: options.maxResources,
      concurrency: options.concurrency,
      maxAttempts: options.maxAttempts,
      requestTimeoutMs: options.requestTimeoutMs,
      ...(options.maxQps !== undefined && { maxQps: options.maxQps }),
      ...(io.signal && { signal: io.signal }),
    });
    const delivered = result.refused === null ? await deliver(result, options, { ...io, client, logger }) : 0;
    if (options.mode.kind === 'dry-run' && io.stdout.isTTY) io.stdout.write(dryRunTable(result.plan.manifests));
    const summary = sweepSummary(result, {
      policy: parsed.policy.name,
      regionIds,
      manifests: result.plan.manifests.length,
      durationMs: now() - startedAt,
    });
    logger[summary.complete && summary.refused === null ? 'info' : 'warn'](summary, 'sweep.summary');
    if (result.refused !== null) {
      io.stderr.write(
        `tag-cleanup: refused: ${summary.resourcesMatched} resources would change, more than the policy's ` +
          `maxResources (${parsed.policy.maxResources}); nothing was changed (--force lifts the brake)\n`,
      );
    }
    const interrupted = io.signal?.reason;
    if (interrupted instanceof InterruptedError) return INTERRUPT_EXIT_CODES[interrupted.signal];
    if (result.credentialsRefused !== undefined) {
      const { code, message } = result.credentialsRefused;
      io.stderr.write(`tag-cleanup: the API refused the credentials while listing (${code}: ${message})\n`);
      return 2;
    }
    return delivered === 0 && summary.complete && summary.refused === null ? 0 : 1;
  } finally {
    client.close();
  }
}

/** Everything that can be wrong before the first call: policy, regions, output directory, credentials. */
async function prepare(
  options: SweepCommandOptions,
  io: SweepCommandIo,
): Promise<number | { parsed: ParsedPolicy; regionIds: readonly string[] }> {
  const fail = (message: string) => {
    io.stderr.write(`tag-cleanup: ${message}\n`);
    return 2;
  };
  let parsed: ParsedPolicy;
  try {
    parsed = await loadPolicyFile(options.policyFile);
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    for (const issue of error.issues)
      io.stderr.write(`tag-cleanup: ${issue.path ? `${issue.path}: ` : ''}${issue.reason}\n`);
    return fail(`${options.policyFile} is not a valid policy; nothing was listed`);
  }
  const reportProblem = options.report === undefined ? undefined : await reportPathProblem(options.report);
  if (reportProblem !== undefined) return fail(reportProblem);
  const outside = options.regions.filter((r) => !parsed.policy.regions.includes(r));
  if (outside.length > 0) return fail(`--region ${outside.join(', ')} is not among the policy's regions`);
  if (options.mode.kind === 'out') {
    const dir = await stat(options.mode.dir).catch(() => undefined);
    if (!dir?.isDirectory()) return fail(`--out ${options.mode.dir} is not an existing directory`);
  }
  if (options.mode.kind === 'enqueue' && io.queue === undefined) return fail('--enqueue needs a work queue');
  try {
    await io.credentials(); // listing needs them too, dry run included
  } catch (error) {
    return fail(error instanceof CredentialsError ? error.message : messageOf(error));
  }
  return { parsed, regionIds: options.regions.length > 0 ? options.regions : parsed.policy.regions };
}

/** Hands the manifests on as the mode says; returns 0, or 1 when some resource or manifest failed. */
async function deliver(
  result: SweepResult,
  options: SweepCommandOptions,
  io: SweepCommandIo & { readonly client: EcsClient; readonly logger: Logger },
): Promise<number> {
  const manifests: readonly WireManifest[] = result.plan.manifests;
  const { mode } = options;
  if (mode.kind === 'out') return (await writeManifestFiles(manifests, mode.dir, io.logger)) > 0 ? 1 : 0;
  if (mode.kind === 'enqueue') {
    const target = { queue: io.queue as QueueSender, queueUrl: mode.queueUrl, maxMessageBytes: mode.maxMessageBytes };
    return (await enqueueSweepManifests(manifests, target, io.logger)) > 0 ? 1 : 0;
  }
  const dryRun = mode.kind === 'dry-run';
  const parsed = manifests.map((m) => parseManifest({ ...m, dryRun }, { maxResources: options.maxResources }));
  const report = await runManifests(parsed, {
    client: io.client,
    logger: io.logger,
    executor: removalExecutor(options),
    ...(io.signal && { signal: io.signal }),
  });
  if (options.report !== undefined) await writeReport(options.report, report.outcomes, report.summaries);
  return exitCodeFor(report) === 0 ? 0 : 1;
}
