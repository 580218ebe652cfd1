import type { ServerResponse } from 'node:http';
import type { EcsErrorAnswer } from './ecs-error.ts';
import type { EmulatorContext } from './emulator-context.ts';
import { type RenderedBody, type ResponseFormat, renderError, renderSuccess } from './render.ts';

/** One request being answered: where the answer goes and how it is written. */
export interface Exchange {
  readonly res: ServerResponse;
  readonly requestId: string;
  /** The `Host` header, echoed as `HostId` in error documents, as ECS does. */
  readonly hostId: string;
  /** JSON until the parameters are read, then what `Format` asks for. */
  format: ResponseFormat;
  /** The action the stats count the answer under; unset until the parameters are read. */
  action?: string;
}

/** Answers 200 with `body` (which carries the RequestId) and counts it. */
export function replySuccess(ctx: EmulatorContext, exchange: Exchange, body: Readonly<Record<string, unknown>>): void {
  const action = exchange.action ?? '';
  send(exchange, 200, renderSuccess(exchange.format, action, body));
  ctx.stats.outcome('ok', ctx.now(), undefined, action);
}

/** Answers with an ECS error document and counts it, as throttled when its code says so. */
export function replyError(
  ctx: EmulatorContext,
  exchange: Exchange,
  error: EcsErrorAnswer,
  extraHeaders: Record<string, string> = {},
): void {
  const rendered = renderError(exchange.format, error, exchange.requestId, exchange.hostId);
  send(exchange, error.httpStatus, rendered, extraHeaders);
  const throttled = error.code.startsWith('Throttling');
  ctx.stats.outcome(throttled ? 'throttled' : 'error', ctx.now(), error.code, exchange.action);
  ctx.logger.debug(
    { requestId: exchange.requestId, code: error.code, httpStatus: error.httpStatus },
    'emulator answered with an error',
  );
}

function send(exchange: Exchange, httpStatus: number, rendered: RenderedBody, extraHeaders = {}): void {
  const { res, requestId } = exchange;
  if (res.destroyed || res.headersSent) return;
  res.writeHead(httpStatus, {
    'content-type': rendered.contentType,
    'content-length': Buffer.byteLength(rendered.body),
    'x-acs-request-id': requestId,
    ...extraHeaders,
  });
  res.end(rendered.body);
}
