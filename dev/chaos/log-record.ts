/** A log line as the handler wrote it (NDJSON), parsed. */
export type LogRecord = Readonly<Record<string, unknown>>;

/** A field's value when it is a string. */
export function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The `error.code` of a line, when it has one. */
export function errorCode(line: LogRecord): string | undefined {
  const error = line.error;
  return typeof error === 'object' && error !== null ? text((error as { code?: unknown }).code) : undefined;
}
