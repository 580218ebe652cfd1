import { createLogger, type Logger } from '../logger.ts';
import { prettyDestination } from './pretty.ts';

/** NDJSON on a pipe or file; readable lines on a terminal, with the progress meter stepping aside. */
export function terminalLogger(stdout: NodeJS.WriteStream, level: string, beforeWrite?: () => void): Logger {
  return createLogger({
    level,
    // The default destination writes to fd 1 synchronously; any other stdout must get the lines itself.
    ...(stdout.isTTY
      ? { destination: prettyDestination(stdout, beforeWrite) }
      : stdout !== process.stdout && { destination: stdout }),
  });
}
