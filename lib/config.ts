import * as z from 'zod';
import { ConfigError } from './core/errors.ts';

/** Everything the job reads from its environment, validated once per process (or Lambda cold start). */
export interface Config {
  /** Overrides `https://ecs.<RegionId>.aliyuncs.com` for every region (the emulator, a VPC endpoint). */
  readonly ecsEndpoint?: string;
  /** Ceiling for the adaptive rate controller, calls per second; unset means discover the limit. */
  readonly maxQps?: number;
  /** Cap on calls in flight; a safety bound, not the throttle. @default 64 */
  readonly concurrency: number;
  /** Attempts per RemoveTags call, the first included. @default 6 */
  readonly maxAttempts: number;
  /** Per-request timeout. @default 10000 */
  readonly requestTimeoutMs: number;
  /** Manifest-level cap on resources. @default 10000 */
  readonly maxResources: number;
  /** pino level. @default 'info' */
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Work queue, for continuations (Lambda only). */
  readonly queueUrl?: string;
  /** Dead-letter queue, for poison messages and exhausted work (Lambda only). */
  readonly dlqUrl?: string;
  /** Time kept back from the Lambda deadline for hand-off and logging. @default 15000 */
  readonly deadlineMarginMs: number;
  /** Continuations per manifest before the rest goes to the DLQ. @default 8 */
  readonly maxContinuations: number;
  /** The work queue's maximum message size. @default 1046528 (1 MiB less 2 KiB, so poison fits in the DLQ with its reason) */
  readonly maxMessageBytes: number;
  /** SSM SecureString parameter names for the Alibaba key (Lambda); unset means the default chain. */
  readonly ssmAccessKeyIdParam?: string;
  readonly ssmAccessKeySecretParam?: string;
  /**
   * True when AWS_ENDPOINT_URL_SQS (or AWS_ENDPOINT_URL) points the SQS client elsewhere, e.g. at a local
   * SQS server: then requests must go there, not to the host named in the queue URL.
   */
  readonly sqsEndpointOverridden: boolean;
  /** AWS_REGION, else AWS_DEFAULT_REGION: the SQS client's region. */
  readonly awsRegion?: string;
}

/**
 * An optional variable read by `parse`: blank means unset; a value `parse` refuses is an issue naming the
 * variable, what it must be, and what it got.
 */
const optionalVariable = <T>(name: string, mustBe: string, parse: (raw: string) => T | undefined) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw.trim() === '') return undefined;
      const value = parse(raw);
      if (value === undefined) {
        ctx.addIssue({ code: 'custom', message: `${name} must be ${mustBe} (got '${raw}')` });
        return z.NEVER;
      }
      return value;
    });

const positiveNumber = (raw: string): number | undefined => {
  const n = Number(raw);
  return Number.isFinite(n) && n > 0 ? n : undefined;
};

const positiveInt = (name: string, fallback: number) =>
  optionalVariable(name, 'a positive whole number', (raw) => {
    const n = positiveNumber(raw);
    return n !== undefined && Number.isInteger(n) ? n : undefined;
  }).transform((n) => n ?? fallback);

const optionalPositiveNumber = (name: string) => optionalVariable(name, 'a positive number', positiveNumber);

/**
 * The one URL check for variables and flags: `raw` without trailing slashes when it is an http(s) URL,
 * else undefined (the caller names the variable or flag in its error).
 */
export function httpUrl(raw: string): string | undefined {
  if (!URL.canParse(raw)) return undefined;
  const { protocol } = new URL(raw);
  return protocol === 'http:' || protocol === 'https:' ? raw.replace(/\/+$/, '') : undefined;
}

const optionalUrl = (name: string) => optionalVariable(name, 'an http(s) URL', httpUrl);

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const envSchema = z.object({
  TAG_CLEANUP_ECS_ENDPOINT: optionalUrl('TAG_CLEANUP_ECS_ENDPOINT'),
  TAG_CLEANUP_MAX_QPS: optionalPositiveNumber('TAG_CLEANUP_MAX_QPS'),
  TAG_CLEANUP_CONCURRENCY: positiveInt('TAG_CLEANUP_CONCURRENCY', 64),
  TAG_CLEANUP_MAX_ATTEMPTS: positiveInt('TAG_CLEANUP_MAX_ATTEMPTS', 6),
  TAG_CLEANUP_REQUEST_TIMEOUT_MS: positiveInt('TAG_CLEANUP_REQUEST_TIMEOUT_MS', 10_000),
  TAG_CLEANUP_MAX_RESOURCES: positiveInt('TAG_CLEANUP_MAX_RESOURCES', 10_000),
  TAG_CLEANUP_LOG_LEVEL: z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const level = (raw ?? 'info').trim().toLowerCase() || 'info';
      if ((LOG_LEVELS as readonly string[]).includes(level)) return level as Config['logLevel'];
      ctx.addIssue({
        code: 'custom',
        message: `TAG_CLEANUP_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got '${raw}')`,
      });
      return z.NEVER;
    }),
  TAG_CLEANUP_QUEUE_URL: optionalUrl('TAG_CLEANUP_QUEUE_URL'),
  TAG_CLEANUP_DLQ_URL: optionalUrl('TAG_CLEANUP_DLQ_URL'),
  TAG_CLEANUP_DEADLINE_MARGIN_MS: positiveInt('TAG_CLEANUP_DEADLINE_MARGIN_MS', 15_000),
  TAG_CLEANUP_MAX_CONTINUATIONS: positiveInt('TAG_CLEANUP_MAX_CONTINUATIONS', 8),
  TAG_CLEANUP_MAX_MESSAGE_BYTES: positiveInt('TAG_CLEANUP_MAX_MESSAGE_BYTES', 1_046_528),
  TAG_CLEANUP_SSM_ACCESS_KEY_ID_PARAM: z.string().optional(),
  TAG_CLEANUP_SSM_ACCESS_KEY_SECRET_PARAM: z.string().optional(),
  AWS_ENDPOINT_URL_SQS: z.string().optional(),
  AWS_ENDPOINT_URL: z.string().optional(),
  AWS_REGION: z.string().optional(),
  AWS_DEFAULT_REGION: z.string().optional(),
});

/** Validates `env` against `schema`; one ConfigError names every bad variable and its fix. */
function parseEnv<T>(schema: z.ZodType<T>, env: Readonly<Record<string, string | undefined>>): T {
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => i.message).join('; '));
  return parsed.data;
}

/** Throws one ConfigError naming every variable `who` needs and lacks (the falsy entries are present). */
function requireVariables(who: string, missing: readonly (string | false)[]): void {
  const names = missing.filter((m): m is string => typeof m === 'string');
  if (names.length > 0) throw new ConfigError(`${who} needs ${names.join(' and ')}`);
}

/** Reads and validates the environment; throws one ConfigError naming every bad variable and its fix. */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): Config {
  const e = parseEnv(envSchema, env);
  if (Boolean(e.TAG_CLEANUP_SSM_ACCESS_KEY_ID_PARAM) !== Boolean(e.TAG_CLEANUP_SSM_ACCESS_KEY_SECRET_PARAM)) {
    throw new ConfigError(
      'set both TAG_CLEANUP_SSM_ACCESS_KEY_ID_PARAM and TAG_CLEANUP_SSM_ACCESS_KEY_SECRET_PARAM, or neither',
    );
  }
  return {
    ...(e.TAG_CLEANUP_ECS_ENDPOINT !== undefined && { ecsEndpoint: e.TAG_CLEANUP_ECS_ENDPOINT }),
    ...(e.TAG_CLEANUP_MAX_QPS !== undefined && { maxQps: e.TAG_CLEANUP_MAX_QPS }),
    concurrency: e.TAG_CLEANUP_CONCURRENCY,
    maxAttempts: e.TAG_CLEANUP_MAX_ATTEMPTS,
    requestTimeoutMs: e.TAG_CLEANUP_REQUEST_TIMEOUT_MS,
    maxResources: e.TAG_CLEANUP_MAX_RESOURCES,
    logLevel: e.TAG_CLEANUP_LOG_LEVEL,
    ...(e.TAG_CLEANUP_QUEUE_URL !== undefined && { queueUrl: e.TAG_CLEANUP_QUEUE_URL }),
    ...(e.TAG_CLEANUP_DLQ_URL !== undefined && { dlqUrl: e.TAG_CLEANUP_DLQ_URL }),
    deadlineMarginMs: e.TAG_CLEANUP_DEADLINE_MARGIN_MS,
    maxContinuations: e.TAG_CLEANUP_MAX_CONTINUATIONS,
    maxMessageBytes: e.TAG_CLEANUP_MAX_MESSAGE_BYTES,
    ...(e.TAG_CLEANUP_SSM_ACCESS_KEY_ID_PARAM && { ssmAccessKeyIdParam: e.TAG_CLEANUP_SSM_ACCESS_KEY_ID_PARAM }),
    ...(e.TAG_CLEANUP_SSM_ACCESS_KEY_SECRET_PARAM && {
      ssmAccessKeySecretParam: e.TAG_CLEANUP_SSM_ACCESS_KEY_SECRET_PARAM,
    }),
    sqsEndpointOverridden: Boolean(e.AWS_ENDPOINT_URL_SQS || e.AWS_ENDPOINT_URL),
    ...((e.AWS_REGION || e.AWS_DEFAULT_REGION) && { awsRegion: (e.AWS_REGION || e.AWS_DEFAULT_REGION) as string }),
  };
}

/** The Lambda handler needs both queues; this narrows the config or says which variable is missing. */
export function requireQueues(config: Config): Config & { readonly queueUrl: string; readonly dlqUrl: string } {
  requireVariables('the Lambda handler', [
    config.queueUrl === undefined && 'TAG_CLEANUP_QUEUE_URL (the work queue, for continuations)',
    config.dlqUrl === undefined && 'TAG_CLEANUP_DLQ_URL (the dead-letter queue)',
  ]);
  return config as Config & { readonly queueUrl: string; readonly dlqUrl: string };
}

/** What the ingest function (event-driven cleanup) reads on top of {@link Config}. */
export interface IngestConfig extends Config {
  /** The events queue each accepted CloudEvent goes to. */
  readonly eventsQueueUrl: string;
  /** SSM SecureString name holding the ingest token, read through the extension (Lambda). */
  readonly ssmIngestTokenParam?: string;
  /** The ingest token itself, for local use; the SSM parameter wins when both are set. */
  readonly ingestToken?: string;
}

const ingestEnvSchema = z.object({
  TAG_CLEANUP_EVENTS_QUEUE_URL: optionalUrl('TAG_CLEANUP_EVENTS_QUEUE_URL'),
  TAG_CLEANUP_SSM_INGEST_TOKEN_PARAM: z.string().optional(),
  TAG_CLEANUP_INGEST_TOKEN: z.string().optional(),
});

/**
 * Reads the ingest function's environment. A missing token is not an error here: the handler then answers
 * every request 500 and logs `ingest.misconfigured`, so a deploy without a token accepts nothing.
 */
export function loadIngestConfig(env: Readonly<Record<string, string | undefined>> = process.env): IngestConfig {
  const config = loadConfig(env);
  const e = parseEnv(ingestEnvSchema, env);
  if (e.TAG_CLEANUP_EVENTS_QUEUE_URL === undefined) {
    throw new ConfigError('the ingest function needs TAG_CLEANUP_EVENTS_QUEUE_URL (the events queue)');
  }
  const ssmParam = e.TAG_CLEANUP_SSM_INGEST_TOKEN_PARAM?.trim();
  // The token is compared byte for byte, so it is not trimmed; only a blank one counts as unset.
  const token = e.TAG_CLEANUP_INGEST_TOKEN;
  return {
    ...config,
    eventsQueueUrl: e.TAG_CLEANUP_EVENTS_QUEUE_URL,
    ...(ssmParam && { ssmIngestTokenParam: ssmParam }),
    ...(token?.trim() && { ingestToken: token }),
  };
}

/** `TAG_CLEANUP_SELF_PRINCIPAL`: the principal id the job's own calls carry in ActionTrail; blank means none. */
export function loadSelfPrincipalId(
  env: Readonly<Record<string, string | undefined>> = process.env,
): string | undefined {
  return env.TAG_CLEANUP_SELF_PRINCIPAL?.trim() || undefined;
}

/** What the event adapter (handlers/events.ts) reads on top of {@link Config}. */
export interface EventsConfig extends Config {
  /** The work queue the adapter's manifests go to. */
  readonly queueUrl: string;
  /** The events queue's dead-letter queue, for events that can never be parsed. */
  readonly eventsDlqUrl: string;
  /** The policy file: `TAG_CLEANUP_POLICY_FILE` under the package root (`LAMBDA_TASK_ROOT`). */
  readonly policyFile: string;
  /** The job's own principal id (`TAG_CLEANUP_SELF_PRINCIPAL`); its events are ignored. */
  readonly selfPrincipalId?: string;
}

const eventsEnvSchema = z.object({
  TAG_CLEANUP_EVENTS_DLQ_URL: optionalUrl('TAG_CLEANUP_EVENTS_DLQ_URL'),
  TAG_CLEANUP_POLICY_FILE: z.string().optional(),
  LAMBDA_TASK_ROOT: z.string().optional(),
});

/**
 * A path inside the deployed package: relative, without `..`, joined to the package root. The policy
 * ships with the code, so a path that leaves the package is a mistake, not a feature.
 */
export function packageFilePath(name: string, raw: string, root: string): string {
  const trimmed = raw.trim();
  if (trimmed === '' || /^([\\/]|[A-Za-z]:)/.test(trimmed)) {
    throw new ConfigError(`${name} must be a path relative to the package root (got '${raw}')`);
  }
  const segments = trimmed.split(/[\\/]+/).filter((s) => s !== '' && s !== '.');
  if (segments.includes('..') || segments.length === 0) {
    throw new ConfigError(`${name} must stay inside the package: no '..' (got '${raw}')`);
  }
  return [root.replace(/[\\/]+$/, ''), ...segments].join('/');
}

/** Reads the event adapter's environment: both queues, the policy file and the job's own principal. */
export function loadEventsConfig(env: Readonly<Record<string, string | undefined>> = process.env): EventsConfig {
  const config = loadConfig(env);
  const e = parseEnv(eventsEnvSchema, env);
  requireVariables('the event adapter', [
    config.queueUrl === undefined && 'TAG_CLEANUP_QUEUE_URL (the work queue)',
    e.TAG_CLEANUP_EVENTS_DLQ_URL === undefined && 'TAG_CLEANUP_EVENTS_DLQ_URL (the events dead-letter queue)',
    !e.TAG_CLEANUP_POLICY_FILE?.trim() && 'TAG_CLEANUP_POLICY_FILE (the policy, relative to the package root)',
  ]);
  const root = e.LAMBDA_TASK_ROOT?.trim() || process.cwd();
  const selfPrincipalId = loadSelfPrincipalId(env);
  return {
    ...config,
    queueUrl: config.queueUrl as string,
    eventsDlqUrl: e.TAG_CLEANUP_EVENTS_DLQ_URL as string,
    policyFile: packageFilePath('TAG_CLEANUP_POLICY_FILE', e.TAG_CLEANUP_POLICY_FILE as string, root),
    ...(selfPrincipalId !== undefined && { selfPrincipalId }),
  };
}

/** What the scheduled sweep function (handlers/sweep.ts) reads on top of {@link Config}. */
export interface SweepConfig extends Config {
  /** The work queue the sweep's manifests go to. */
  readonly queueUrl: string;
  /** The policy file: `TAG_CLEANUP_POLICY_FILE` under the package root (`LAMBDA_TASK_ROOT`). */
  readonly policyFile: string;
}

/** Reads the sweep function's environment: the work queue and the policy file shipped in the package. */
export function loadSweepConfig(env: Readonly<Record<string, string | undefined>> = process.env): SweepConfig {
  const config = loadConfig(env);
  const e = parseEnv(eventsEnvSchema, env);
  requireVariables('the sweep function', [
    config.queueUrl === undefined && 'TAG_CLEANUP_QUEUE_URL (the work queue its manifests go to)',
    !e.TAG_CLEANUP_POLICY_FILE?.trim() && 'TAG_CLEANUP_POLICY_FILE (the policy, relative to the package root)',
  ]);
  const root = e.LAMBDA_TASK_ROOT?.trim() || process.cwd();
  return {
    ...config,
    queueUrl: config.queueUrl as string,
    policyFile: packageFilePath('TAG_CLEANUP_POLICY_FILE', e.TAG_CLEANUP_POLICY_FILE as string, root),
  };
}
