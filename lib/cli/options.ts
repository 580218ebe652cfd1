import { httpUrl } from '../config.ts';
import { ConfigError } from '../core/errors.ts';
import { MIN_QPS } from '../engine/rate-controller.ts';

/** Parses a CLI flag as a positive number; the error names the flag and what it got. */
export function positiveNumberFlag(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError(`--${name} must be a positive number (got '${raw}')`);
  return n;
}

/** Parses a CLI flag as a positive whole number. */
export function positiveIntFlag(name: string, raw: string | undefined): number | undefined {
  const n = positiveNumberFlag(name, raw);
  if (n !== undefined && !Number.isInteger(n)) throw new ConfigError(`--${name} must be a whole number (got '${raw}')`);
  return n;
}

/** Parses a probability flag in [0, 1]. */
export function rateFlag(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new ConfigError(`--${name} must be between 0 and 1 (got '${raw}')`);
  return n;
}

/** Parses an http(s) URL flag. */
export function urlFlag(name: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const url = httpUrl(raw);
  if (url === undefined) throw new ConfigError(`--${name} must be an http(s) URL (got '${raw}')`);
  return url;
}

/** Parses `--max-qps`: a ceiling below the rate controller's floor would only stall the run, so it is refused. */
export function maxQpsFlag(raw: string | undefined): number | undefined {
  const n = positiveNumberFlag('max-qps', raw);
  if (n !== undefined && n < MIN_QPS) {
    throw new ConfigError(`--max-qps must be at least ${MIN_QPS} calls per second (got '${raw}')`);
  }
  return n;
}

/**
 * Joins `--flag -3` into `--flag=-3`, so a negative number reaches the flag's own check ("must be a
 * positive number") instead of node's "argument is ambiguous" error.
 */
export function joinNegativeValues(args: readonly string[]): string[] {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] ?? '';
    const next = args[i + 1];
    if (arg.startsWith('--') && !arg.includes('=') && next !== undefined && /^-\.?\d/.test(next)) {
      joined.push(`${arg}=${next}`);
      i += 1;
    } else joined.push(arg);
  }
  return joined;
}
