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
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
