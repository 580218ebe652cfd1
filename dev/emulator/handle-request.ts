import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ECS_API_VERSION } from '../../lib/core/ecs-api.ts';
import { abortableSleep } from '../../lib/core/sleep.ts';
import { ACTIONS, type ActionHandler } from './actions.ts';
import { actionNotFound, ecsError, internalError, serviceUnavailable, throttled } from './ecs-error.ts';
import type { EmulatorContext } from './emulator-context.ts';
import { readParams } from './read-params.ts';
import { responseFormat } from './render.ts';
import { type Exchange, replyError, replySuccess } from './respond.ts';
import { verifyRequest } from './verify.ts';

/** A request that passed every check before the action itself. */
interface Admitted {
  readonly exchange: Exchange;
  readonly params: Readonly<Record<string, string>>;
  readonly handler: ActionHandler;
}

/**
 * Answers one HTTP request the way ECS does, in ECS's order: method, parameters, path, signature and
 * credentials, action, the action's flow control, injected faults, version, then the action.
 */
export async function handleRequest(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  ctx.stats.request();
  const exchange: Exchange = { res, requestId: newRequestId(), hostId: hostIdOf(req), format: 'JSON' };
  const admitted = await admit(ctx, req, exchange);
  if (!admitted || !passesFlowControl(ctx, exchange)) return;
  const lostResponse = await survivesFault(ctx, req, exchange);
  if (lostResponse === undefined) return;
  const { params, handler } = admitted;
  if (params.Version !== ECS_API_VERSION) {
    replyError(ctx, exchange, ecsError('InvalidVersion', 400, 'Specified parameter Version is not valid.'));
    return;
  }
  const result = handler({ ctx, params, requestId: exchange.requestId, lostResponse });
  if (!result.ok) replyError(ctx, exchange, result.error);
  else if (lostResponse) replyError(ctx, exchange, internalError());
  else replySuccess(ctx, exchange, result.body);
}

/** Answers a request whose handling threw: a 500, as ECS does for its own failures. */
export function answerUnexpected(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse): void {
  replyError(ctx, { res, requestId: newRequestId(), hostId: hostIdOf(req), format: 'JSON' }, internalError());
}

async function admit(ctx: EmulatorContext, req: IncomingMessage, exchange: Exchange): Promise<Admitted | undefined> {
  const method = req.method;
  if (method !== 'GET' && method !== 'POST') {
    const error = ecsError('UnsupportedHTTPMethod', 405, `The HTTP method ${method ?? ''} is not supported.`);
    replyError(ctx, exchange, error);
    return undefined;
  }
  const read = await readParams(req, ctx.maxBodyBytes);
  if (!read.ok) {
    replyError(ctx, exchange, read.error);
    return undefined;
  }
  const { params } = read;
  exchange.format = responseFormat(params.Format);
  const action = params.Action ?? '';
  const handler = ACTIONS.get(action);
  if (handler) exchange.action = action;
  // The RPC signature covers the path `/` only, so any other path cannot be a valid call.
  if (req.url !== '/' && !(req.url ?? '/').startsWith('/?')) {
    replyError(ctx, exchange, actionNotFound());
    return undefined;
  }
  const auth = verifyRequest(method, params, { accounts: ctx.accounts, nonces: ctx.nonces, nowMs: ctx.now() });
  if (!auth.ok) {
    replyError(ctx, exchange, auth.error);
    return undefined;
  }
  if (!handler) {
    replyError(ctx, exchange, actionNotFound());
    return undefined;
  }
  return { exchange, params, handler };
}

function passesFlowControl(ctx: EmulatorContext, exchange: Exchange): boolean {
  const decision = ctx.flow.take(exchange.action ?? '');
  if (decision.admitted) return true;
  const headers: Record<string, string> = {};
  if (ctx.retryAfterMs !== undefined) {
    const waitMs = ctx.retryAfterMs === 'auto' ? Math.max(1, decision.msUntilNextToken) : ctx.retryAfterMs;
    headers['x-acs-retry-after'] = String(waitMs);
  }
  replyError(ctx, exchange, throttled(), headers);
  return false;
}

/**
 * Draws the call's fault and acts on it. Returns whether the response is to be lost after acting
 * (`applyThen500`), or undefined when the fault already ended the request.
 */
async function survivesFault(
  ctx: EmulatorContext,
  req: IncomingMessage,
  exchange: Exchange,
): Promise<boolean | undefined> {
  const fault = ctx.faults.next();
  if (fault.delayMs > 0) await abortableSleep(fault.delayMs, ctx.closed);
  // A closed emulator applies nothing more; its sockets are already destroyed.
  if (ctx.closed.aborted) return undefined;
  switch (fault.kind) {
    case 'reset':
      ctx.stats.outcome('reset', ctx.now(), undefined, exchange.action);
      req.socket.destroy();
      return undefined;
    case 'hang':
      // Left unanswered on purpose; close() destroys the socket if the client never gives up.
      ctx.stats.outcome('hang', ctx.now(), undefined, exchange.action);
      return undefined;
    case 'internalError':
      replyError(ctx, exchange, internalError());
      return undefined;
    case 'serviceUnavailable':
      replyError(ctx, exchange, serviceUnavailable());
      return undefined;
    case 'applyThen500':
      return true;
    case 'none':
      return false;
  }
}

function newRequestId(): string {
  return randomUUID().toUpperCase();
}

function hostIdOf(req: IncomingMessage): string {
  return req.headers.host ?? 'ecs.aliyuncs.com';
}
