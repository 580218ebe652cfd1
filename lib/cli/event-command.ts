import { readFile } from 'node:fs/promises';
import { EcsClient } from '../alibaba/client.ts';
import type { CredentialsSource } from '../alibaba/credentials.ts';
import { CredentialsError, InterruptedError, messageOf, PolicyError } from '../core/errors.ts';
import { cloudEventIssues } from '../core/events/cloud-event.ts';
import { resolveBatch } from '../core/events/resolve-batch.ts';
import { parseManifest } from '../core/manifest/parse.ts';
import type { ParsedPolicy } from '../core/policy/policy.ts';
import type { Clock, InventoryClient, RemoveTagsClient, Sleep } from '../core/ports.ts';
import { listAndPlanTargets, type TargetsPlan } from '../engine/events/list-and-plan-targets.ts';
import { regionRates } from '../engine/events/read-target-tags.ts';
import { exitCodeFor, runManifests } from '../engine/run-manifests.ts';
import { countIgnored, logIgnored } from '../lambda/events-triage.ts';
import type { Logger } from '../logger.ts';
import { loadPolicyFile } from '../policy-file.ts';
import { type CallSettings, ecsClientFor, removalExecutor } from './call-settings.ts';
import { INTERRUPT_EXIT_CODES } from './interrupt.ts';
import { readStdin } from './read-stdin.ts';
import { terminalLogger } from './terminal-logger.ts';

/** Options of `tag-cleanup event`, already validated. */
export interface EventCommandOptions extends CallSettings {
  /** Files of saved events, each one CloudEvent or an array of them; `-` is stdin. */
  readonly files: readonly string[];
  readonly policyFile: string;
  /** Plan the removals (`planned` outcome lines) instead of making them; the tags are listed either way. */
  readonly dryRun: boolean;
  /** The job's own principal id (`TAG_CLEANUP_SELF_PRINCIPAL`); its events are ignored, as in the adapter. */
  readonly selfPrincipalId?: string;
}

/** Where the command reads and writes; tests pass their own. */
export interface EventCommandIo {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  readonly credentials: CredentialsSource;
  readonly readStdin?: () => Promise<string>;
  /** Overrides the logger built from stdout (tests capture lines through it). */
  readonly logger?: Logger;
  /** Overrides the EcsClient built from `endpoint` and the credentials (tests pass in-memory fakes). */
  readonly client?: InventoryClient & RemoveTagsClient;
  readonly now?: Clock;
  readonly sleep?: Sleep;
  /** Aborted on Ctrl-C or SIGTERM: listing stops, no new removal starts, everything found is reported. */
  readonly signal?: AbortSignal;
}

/** One event read from a file, with where it came from. */
interface SavedEvent {
  readonly source: string;
  readonly value: unknown;
}

/**
 * `tag-cleanup event`: what the event adapter would do with saved events, done locally. The events are
 * resolved, the resources' current tags listed and the policy applied, then the removals run (or are
 * planned with `dryRun`) with the same outcome lines and exit codes as `run`: 0 when everything was removed
 * or planned, 1 when a resource was not or a listing failed, 2 for a bad event file, policy or credentials.
 */
export async function eventCommand(options: EventCommandOptions, io: EventCommandIo): Promise<number> {
  const now = io.now ?? Date.now;
  const startedAt = now();
  const prepared = await prepare(options, io);
  if (typeof prepared === 'number') return prepared;
  const { events, parsed } = prepared;
  const logger = io.logger ?? terminalLogger(io.stdout, options.logLevel);
  const client = io.client ?? ecsClientFor(options, io.credentials);
  try {
    const batch = resolveBatch(
      events.map((e) => e.value),
      options.selfPrincipalId === undefined ? {} : { selfPrincipalId: options.selfPrincipalId },
    );
    batch.outcomes.forEach((outcome, i) => {
      if (outcome.kind === 'ignored') logIgnored(logger, outcome, events[i]?.value);
    });
    const timing = { ...(io.now && { now: io.now }), ...(io.sleep && { sleep: io.sleep }) };
    const planned = await listAndPlanTargets(batch.targets, {
      ...timing,
      ...(io.signal && { signal: io.signal }),
      client,
      logger,
      rateFor: regionRates({ ...timing, ...(options.maxQps !== undefined && { maxQps: options.maxQps }) }),
      policy: parsed.policy,
      startedAt,
      maxResourcesPerManifest: options.maxResources,
      concurrency: options.concurrency,
      maxAttempts: options.maxAttempts,
      requestTimeoutMs: options.requestTimeoutMs,
    });
    const exitCode = await runPlanned(planned, options, {
      client,
      logger,
      ...timing,
      ...(io.signal && { signal: io.signal }),
    });
    logger.info(
      {
        event: 'events.summary',
        records: events.length,
        resources: batch.targets.length,
        ignored: countIgnored(batch.outcomes),
        verdicts: planned.plan.verdicts,
        manifests: planned.plan.manifests.length,
        listCalls: planned.listCalls,
        throttled: planned.throttled,
        listingsFailed: planned.failed.length,
        durationMs: now() - startedAt,
      },
      'events.summary',
    );
    const interrupted = io.signal?.reason;
    if (interrupted instanceof InterruptedError) return INTERRUPT_EXIT_CODES[interrupted.signal];
    return planned.failed.length > 0 ? 1 : exitCode;
  } finally {
    // Only the client made here is closed; an injected one belongs to the caller.
    if (client !== io.client && client instanceof EcsClient) client.close();
  }
}

/** Runs (or plans) the manifests in-process, through one executor; returns `run`'s exit code. */
async function runPlanned(
  planned: TargetsPlan,
  options: EventCommandOptions,
  io: {
    readonly client: RemoveTagsClient;
    readonly logger: Logger;
    readonly now?: Clock;
    readonly sleep?: Sleep;
    readonly signal?: AbortSignal;
  },
): Promise<number> {
  const manifests = planned.plan.manifests.map((p) =>
    parseManifest({ ...p.manifest, dryRun: options.dryRun }, { maxResources: options.maxResources }),
  );
  const timing = { ...(io.now && { now: io.now }), ...(io.sleep && { sleep: io.sleep }) };
  const report = await runManifests(manifests, {
    client: io.client,
    logger: io.logger,
    ...(io.now && { now: io.now }),
    ...(io.signal && { signal: io.signal }),
    executor: removalExecutor(options, timing),
  });
  return exitCodeFor(report);
}

/** Everything that can be wrong before the first call: the event files, the policy, the credentials. */
async function prepare(
  options: EventCommandOptions,
  io: EventCommandIo,
): Promise<number | { events: SavedEvent[]; parsed: ParsedPolicy }> {
  const fail = (message: string) => {
    io.stderr.write(`tag-cleanup: ${message}\n`);
    return 2;
  };
  const { events, problems } = await readEvents(options.files, io.readStdin ?? readStdinText);
  if (problems.length > 0) {
    for (const problem of problems) io.stderr.write(`tag-cleanup: ${problem}\n`);
    return fail('nothing was run because an event file is invalid');
  }
  let parsed: ParsedPolicy;
  try {
    parsed = await loadPolicyFile(options.policyFile);
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    for (const issue of error.issues) {
      io.stderr.write(`tag-cleanup: ${issue.path ? `${issue.path}: ` : ''}${issue.reason}\n`);
    }
    return fail(`${options.policyFile} is not a valid policy; nothing was listed`);
  }
  try {
    await io.credentials(); // listing needs them too, dry run included
  } catch (error) {
    return fail(error instanceof CredentialsError ? error.message : messageOf(error));
  }
  return { events, parsed };
}

/** Reads every file (`-` is stdin): JSON of one CloudEvent or an array of them, each envelope checked. */
async function readEvents(
  sources: readonly string[],
  readStdinFn: () => Promise<string>,
): Promise<{ events: SavedEvent[]; problems: string[] }> {
  const events: SavedEvent[] = [];
  const problems: string[] = [];
  for (const source of sources) {
    let value: unknown;
    try {
      value = JSON.parse(source === '-' ? await readStdinFn() : await readFile(source, 'utf8'));
    } catch (error) {
      problems.push(`${source}: ${error instanceof SyntaxError ? 'not JSON' : `cannot read: ${messageOf(error)}`}`);
      continue;
    }
    const list = Array.isArray(value) ? value : [value];
    if (list.length === 0) problems.push(`${source}: holds no events`);
    list.forEach((item, i) => {
      for (const issue of cloudEventIssues(item, Array.isArray(value) ? [i] : [])) {
        problems.push(`${source}: ${issue.path ? `${issue.path}: ` : ''}${issue.reason}`);
      }
      events.push({ source, value: item });
    });
  }
  return { events, problems };
}

async function readStdinText(): Promise<string> {
  return (await readStdin()).toString('utf8');
}
