// Dev tooling only: a port already taken is the user's to fix, so it is one line, not a stack trace.
import { ConfigError } from '../../lib/core/errors.ts';

/**
 * Turns Node's EADDRINUSE error (it carries `port` and `address`) into a ConfigError naming the port and
 * the flag that chose it; the CLI prints a ConfigError as one line and exits 2. Any other error is
 * returned as it is. `flags` maps each port flag to its value.
 */
export function explainBusyPort(error: unknown, flags: Readonly<Record<string, number | undefined>>): unknown {
  const e = error as { code?: unknown; port?: unknown; address?: unknown } | null;
  if (e === null || typeof e !== 'object' || e.code !== 'EADDRINUSE') return error;
  const port = typeof e.port === 'number' ? e.port : undefined;
  const flag = Object.entries(flags).find(([, value]) => value !== undefined && value === port)?.[0];
  const where = `${typeof e.address === 'string' ? e.address : '127.0.0.1'}:${port ?? '?'}`;
  return new ConfigError(
    `port ${where} is already in use${flag === undefined ? '' : ` (${flag})`}; choose another port, or 0 for any free one`,
    { cause: error },
  );
}
