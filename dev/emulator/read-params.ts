import type { IncomingMessage } from 'node:http';
import { type EcsErrorAnswer, ecsError } from './ecs-error.ts';

/** The request's parameters (query and form body merged), or the ECS error to answer with. */
/** A call's parameters by name, as read from the query string or the form body. */
export type CallParams = Readonly<Record<string, string>>;

export type ReadParamsResult =
  | { readonly ok: true; readonly params: Record<string, string> }
  | { readonly ok: false; readonly error: EcsErrorAnswer };

/**
 * Collects RPC parameters the way ECS signs them: the query string plus, for a form-encoded POST, the
 * body. A name given twice is refused, because which copy was signed would be ambiguous.
 */
export async function readParams(req: IncomingMessage, maxBodyBytes: number): Promise<ReadParamsResult> {
  const params: Record<string, string> = Object.create(null);
  const queryStart = req.url?.indexOf('?') ?? -1;
  const sources: URLSearchParams[] = [];
  if (req.url && queryStart >= 0) sources.push(new URLSearchParams(req.url.slice(queryStart + 1)));

  if (req.method === 'POST') {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      const buffer = chunk as Buffer;
      size += buffer.length;
      if (size > maxBodyBytes) {
        return { ok: false, error: ecsError('InvalidParameter', 400, 'The request body is too large.') };
      }
      chunks.push(buffer);
    }
    const isForm = (req.headers['content-type'] ?? '').toLowerCase().includes('application/x-www-form-urlencoded');
    // ECS reads RPC parameters from a form body only; any other body is ignored, as there.
    if (isForm && size > 0) sources.push(new URLSearchParams(Buffer.concat(chunks, size).toString('utf8')));
  }

  for (const source of sources) {
    for (const [name, value] of source) {
      if (name in params) {
        return {
          ok: false,
          error: ecsError('InvalidParameter', 400, `The parameter "${name}" is given more than once.`),
        };
      }
      params[name] = value;
    }
  }
  return { ok: true, params };
}
