/** Base class of every error this project throws on purpose. */
export class CleanupError extends Error {
  override name = 'CleanupError';
}

/** One problem found while validating input: where it is and why it is wrong. */
export interface ValidationIssue {
  /** Dotted path into the input, e.g. `resources[3].tags[0].key`; empty for the root. */
  readonly path: string;
  readonly reason: string;
}

/** Input that cannot be used at all; each issue names where it is and why. */
export abstract class InputError extends CleanupError {
  constructor(
    readonly issues: readonly ValidationIssue[],
    what: string,
    options?: ErrorOptions,
  ) {
    super(`invalid ${what}: ${formatIssues(issues)}`, options);
  }
}

/** A manifest that cannot be processed at all (bad JSON, wrong version, too many resources, ...). */
export class ManifestError extends InputError {
  override name = 'ManifestError';
  constructor(issues: readonly ValidationIssue[], options?: ErrorOptions) {
    super(issues, 'manifest', options);
  }
}

/** A configuration value (env var or CLI flag) that is missing or malformed. */
export class ConfigError extends CleanupError {
  override name = 'ConfigError';
}

/** No Alibaba Cloud credentials could be resolved. */
export class CredentialsError extends CleanupError {
  override name = 'CredentialsError';
}

/** The ECS API answered with an error document (or a bare HTTP error status). */
export class ApiError extends CleanupError {
  override name = 'ApiError';
  constructor(
    readonly code: string,
    readonly httpStatus: number,
    readonly requestId: string | undefined,
    readonly apiMessage: string,
    /** From the `x-acs-retry-after` header, in milliseconds. */
    readonly retryAfterMs?: number,
  ) {
    super(`${code}: ${apiMessage}`);
  }
}

/** The request never produced an HTTP response: reset, refused, DNS, or our own timeout. */
export class NetworkError extends CleanupError {
  override name = 'NetworkError';
  constructor(
    /** `Timeout`, or the Node error code such as `ECONNRESET`. */
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * The API endpoint does not answer at all: its host name does not resolve, or requests in a row got no
 * response (refused, reset, timed out). Calling on would only grind through every retry of every resource.
 */
export class EndpointUnreachableError extends CleanupError {
  override name = 'EndpointUnreachableError';
  constructor(
    /** Requests in a row that got no answer (1 for a host name that does not resolve). */
    readonly failures: number,
    /** The last network error's code, such as `ECONNREFUSED`, `ENOTFOUND` or `Timeout`. */
    readonly lastCode: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Raised when a call would have to start after the run's deadline. */
export class DeadlineError extends CleanupError {
  override name = 'DeadlineError';
}

/** Raised to callers waiting for a send slot when the run was stopped. */
export class StoppedError extends CleanupError {
  override name = 'StoppedError';
}

/** The user interrupted the run (Ctrl-C, or SIGTERM from a supervisor): no new call starts. */
export class InterruptedError extends CleanupError {
  override name = 'InterruptedError';
  constructor(readonly signal: 'SIGINT' | 'SIGTERM') {
    super(`interrupted by ${signal}; calls in flight were allowed to finish, nothing new was started`);
  }
}

/** An SQS send that ended without a message id; `code` is SQS's error code or one of ours. */
export class SqsSendError extends CleanupError {
  override name = 'SqsSendError';
  constructor(
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${code}: ${message}`, options);
  }
}

/** A manifest, or one of its parts, cannot be made to fit in one SQS message. */
export class MessageTooLargeError extends CleanupError {
  override name = 'MessageTooLargeError';
  constructor(
    /** Bytes the smallest indivisible piece needs. */
    readonly neededBytes: number,
    /** Bytes a message body may use (the queue limit minus the attribute headroom). */
    readonly budgetBytes: number,
    what: string,
  ) {
    super(`${what} needs ${neededBytes} bytes but a message body may use at most ${budgetBytes}`);
  }
}

/** A policy file that cannot be used: every issue names its path in the file and the reason. */
export class PolicyError extends InputError {
  override name = 'PolicyError';
  constructor(issues: readonly ValidationIssue[], options?: ErrorOptions) {
    super(issues, 'policy', options);
  }
}

/** How the pipeline must react to a failed call. Decided once, in {@link classifyError}. */
export type ErrorClass = 'throttle' | 'transient' | 'permanent' | 'fatal';

// Codes from the error table in the Alibaba RPC notes; anything unknown with a 4xx is permanent.
const TRANSIENT_CODES = new Set(['InternalError', 'UnknownError', 'ServiceUnavailable', 'SignatureNonceUsed']);
const FATAL_CODES = new Set([
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'InvalidAccessKeyId.NotFound',
  'InvalidAccessKeyId.Inactive',
  'Forbidden.AccessKeyDisabled',
  'MissingSecurityToken',
]);
const PERMANENT_CODES = new Set([
  'InvalidTagCount',
  'InvalidResourceId.NotSupported',
  'InvalidResourceId.NotFound',
  'InvalidRegionId.NotFound',
  'InvalidResourceType.NotFound',
  'InvalidParameter',
  'MissingParameter',
  'Forbidden',
  'Forbidden.RAM',
]);
const FATAL_PREFIXES = ['InvalidSecurityToken.', 'InvalidTimeStamp.'];

/** Maps any error to the single class that decides retry, fail or stop. */
export function classifyError(error: unknown): ErrorClass {
  // A host name that does not exist will not exist on retry; anything else may be a blip (see the executor).
  if (error instanceof NetworkError) return error.code === 'ENOTFOUND' ? 'fatal' : 'transient';
  if (error instanceof CredentialsError) return 'fatal';
  if (!(error instanceof ApiError)) return 'fatal'; // a bug of ours: stop rather than hammer the API
  const { code, httpStatus } = error;
  if (code.startsWith('Throttling')) return 'throttle';
  if (TRANSIENT_CODES.has(code)) return 'transient';
  if (FATAL_CODES.has(code) || FATAL_PREFIXES.some((p) => code.startsWith(p))) return 'fatal';
  if (PERMANENT_CODES.has(code)) return 'permanent';
  // Classify by code first; the status only decides for codes we do not know.
  return httpStatus >= 500 ? 'transient' : 'permanent';
}

/** One validation issue as a line for humans: `path: reason`, or the reason alone at the root. */
export function formatIssue(issue: ValidationIssue): string {
  return issue.path ? `${issue.path}: ${issue.reason}` : issue.reason;
}

/** Short, one-line rendering of validation issues for humans. */
export function formatIssues(issues: readonly ValidationIssue[]): string {
  return issues.map(formatIssue).join('; ');
}

/** Narrows an unknown thrown value to a message without ever printing an object dump. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
