/** The ingest endpoint's shared-token check: where the token comes from, and a comparison that leaks nothing. */
import { createHash, timingSafeEqual } from 'node:crypto';
import { getParameter } from '../aws/ssm-credentials.ts';
import type { IngestConfig } from '../config.ts';
import { ConfigError } from '../core/errors.ts';

/** The header Alibaba's API destination (`API_KEY_AUTH`) is configured to send the token in. */
export const INGEST_TOKEN_HEADER = 'x-tag-cleanup-token';

/** Resolves the configured token; rejects (ConfigError, CredentialsError) when there is none or it is unreadable. */
export type IngestTokenSource = () => Promise<string>;

/**
 * The token from the SSM SecureString (Lambda) or, for local use, from TAG_CLEANUP_INGEST_TOKEN. With
 * neither, every call rejects with a ConfigError, so the endpoint refuses everything instead of accepting
 * requests unauthenticated.
 */
export function ingestTokenSource(
  config: Pick<IngestConfig, 'ssmIngestTokenParam' | 'ingestToken'>,
): IngestTokenSource {
  const param = config.ssmIngestTokenParam;
  if (param !== undefined) {
    return () => getParameter({}, param);
  }
  const token = config.ingestToken;
  if (token !== undefined && token !== '') return async () => token;
  return async () => {
    throw new ConfigError(
      'no ingest token configured: set TAG_CLEANUP_SSM_INGEST_TOKEN_PARAM (an SSM SecureString name) or TAG_CLEANUP_INGEST_TOKEN',
    );
  };
}

/**
 * Wraps a source so the token is read once per container (cold start). Concurrent first requests share one
 * read, and a failed read is not remembered, so the next request tries again. An empty token is a failure.
 */
export function cacheToken(source: IngestTokenSource): IngestTokenSource {
  let token: string | undefined;
  let inFlight: Promise<string> | undefined;
  const readOnce = async (): Promise<string> => {
    const value = await source();
    if (value === '') throw new ConfigError('the configured ingest token is empty');
    token = value;
    return value;
  };
  return () => {
    if (token !== undefined) return Promise.resolve(token);
    inFlight ??= readOnce().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
}

/** A header's value, matched case-insensitively (Function URLs lower-case names, other callers may not). */
export function headerValue(
  headers: Readonly<Record<string, string | undefined>> | undefined,
  name: string,
): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers ?? {})) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/**
 * Whether the presented token equals the expected one, in constant time. Both sides are hashed first so the
 * buffers always have the same length, and neither the length nor a matching prefix shows in the timing.
 */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}
