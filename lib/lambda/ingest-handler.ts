/** The ingest endpoint's logic: authenticate, check, enqueue, answer, and log one line per request. */
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { messageOf } from '../core/errors.ts';
import type { Clock, QueueSender } from '../core/ports.ts';
import type { Logger } from '../logger.ts';
import { cacheToken, headerValue, INGEST_TOKEN_HEADER, type IngestTokenSource, tokenMatches } from './ingest-auth.ts';
import { checkIngestRequest } from './ingest-request.ts';

/** What the ingest handler needs; built once per cold start. */
export interface IngestDeps {
  /** Read once per container, on the first request (see {@link cacheToken}). */
  readonly token: IngestTokenSource;
  /** Sends the accepted events (SqsQueueSender in production). */
  readonly queue: QueueSender;
  readonly eventsQueueUrl: string;
  readonly logger: Logger;
  readonly now: Clock;
}

/** A Function URL answer (payload format 2.0); always structured, never a bare string. */
export interface IngestResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** One request in, one answer out. */
export type IngestHandler = (event: LambdaFunctionURLEvent) => Promise<IngestResponse>;

/** Fields of the one `ingest.request` line: never the token, the headers or the body. */
interface RequestLog {
  readonly status: number;
  readonly events: number;
  readonly reason?: string;
  readonly sent?: number;
  readonly failed?: number;
}

// Says nothing about the cause: the caller may not even be authenticated.
const INTERNAL_ERROR = json(500, { message: 'internal error' });

/** Builds the handler. The token is checked before anything else about the request is looked at. */
export function makeIngestHandler(deps: IngestDeps): IngestHandler {
  const token = cacheToken(deps.token);
  return async (event) => {
    const startedAt = deps.now();
    const done = (response: IngestResponse, fields: Omit<RequestLog, 'status'>): IngestResponse => {
      logRequest(deps, event, startedAt, { status: response.statusCode, ...fields });
      return response;
    };
    let expected: string;
    try {
      expected = await token();
    } catch (error) {
      deps.logger.error({ reason: messageOf(error) }, 'ingest.misconfigured');
      return done(INTERNAL_ERROR, { events: 0, reason: 'misconfigured' });
    }
    const presented = headerValue(event.headers, INGEST_TOKEN_HEADER);
    if (!tokenMatches(presented, expected)) {
      return done(json(401, { message: 'unauthorized' }), {
        events: 0,
        reason: presented === undefined ? 'token-missing' : 'token-wrong',
      });
    }
    const check = checkIngestRequest(event);
    if (!check.ok) {
      const headers = check.statusCode === 405 ? { allow: 'POST' } : {};
      return done(json(check.statusCode, { message: check.message }, headers), { events: 0, reason: check.message });
    }
    return enqueue(deps, check.events, done);
  };
}

/**
 * The response for a deployment that cannot work at all (no token, no queue URL): 500 to every request, with
 * an `ingest.misconfigured` line, so nothing is ever accepted unauthenticated.
 */
export function makeMisconfiguredIngestHandler(logger: Logger, now: Clock, reason: string): IngestHandler {
  const deps = { logger, now };
  return async (event) => {
    const startedAt = now();
    logger.error({ reason }, 'ingest.misconfigured');
    logRequest(deps, event, startedAt, { status: INTERNAL_ERROR.statusCode, events: 0, reason: 'misconfigured' });
    return INTERNAL_ERROR;
  };
}

async function enqueue(
  deps: IngestDeps,
  events: readonly string[],
  done: (response: IngestResponse, fields: Omit<RequestLog, 'status'>) => IngestResponse,
): Promise<IngestResponse> {
  let sent = 0;
  let failed = events.length;
  let reason: string | undefined;
  try {
    const result = await deps.queue.send(
      deps.eventsQueueUrl,
      events.map((body) => ({ body })),
    );
    sent = result.sent.length;
    failed = result.failed.length;
    reason = result.failed[0] && `${result.failed[0].code}: ${result.failed[0].message}`;
  } catch (error) {
    reason = messageOf(error);
  }
  if (failed === 0) return done(json(202, { accepted: events.length }), { events: events.length, sent });
  // 503 makes EventBridge retry the whole request, so the events already sent are queued twice. That is safe:
  // the adapter drops repeats of a source+id within a batch, and removing a tag that is gone changes nothing.
  return done(json(503, { message: 'the events queue is unavailable; retry' }), {
    events: events.length,
    sent,
    failed,
    ...(reason !== undefined && { reason }),
  });
}

function logRequest(
  deps: Pick<IngestDeps, 'logger' | 'now'>,
  event: LambdaFunctionURLEvent,
  startedAt: number,
  fields: RequestLog,
): void {
  const line = { ...fields, sourceIp: event.requestContext.http.sourceIp, durationMs: deps.now() - startedAt };
  if (fields.status >= 500) deps.logger.error(line, 'ingest.request');
  else if (fields.status >= 400) deps.logger.warn(line, 'ingest.request');
  else deps.logger.info(line, 'ingest.request');
}

function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): IngestResponse {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}
