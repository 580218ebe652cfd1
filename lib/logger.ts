import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/** Paths pino censors wherever they appear in a log object: credentials and request signatures. */
export const REDACT_PATHS = [
  'accessKeySecret',
  'securityToken',
  'signature',
  'Signature',
  'SecurityToken',
  'AccessKeySecret',
  '*.accessKeySecret',
  '*.securityToken',
  '*.signature',
  '*.Signature',
  '*.SecurityToken',
  '*.AccessKeySecret',
  'credentials',
  '*.credentials',
];

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** @default 'info' */
  readonly level?: string;
  /** Where lines go. @default stdout, written synchronously so a frozen Lambda loses nothing */
  readonly destination?: pino.DestinationStream;
  /** Fields on every line (e.g. the service name). */
  readonly base?: Record<string, unknown>;
}

/**
 * Gives every line an `event` field equal to its constant message, so one field filters every kind of line
 * (outcomes, retries, summaries) whoever wrote the call. A line that names its own event keeps it.
 */
function withEvent(this: Logger, args: Parameters<pino.LogFn>, method: pino.LogFn): void {
  const [first, ...rest] = args as unknown[];
  const message = rest[0];
  if (typeof first === 'string' && rest.length === 0) {
    method.call(this, { event: first }, first);
  } else if (first instanceof Error && typeof message === 'string') {
    // Under `err`, pino's own serializer keeps the message and stack that spreading would drop.
    method.call(this, { event: message, err: first }, ...(rest as [string]));
  } else if (typeof first === 'object' && first !== null && typeof message === 'string' && !('event' in first)) {
    method.call(this, { event: message, ...first }, ...(rest as [string]));
  } else {
    method.apply(this, args);
  }
}

/** The project's one logger: NDJSON, constant messages, secrets redacted by path. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: options.base ?? {},
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
      hooks: { logMethod: withEvent },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
