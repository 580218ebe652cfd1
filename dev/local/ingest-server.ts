// Dev tooling only: a local stand-in for the ingest function's Function URL. Never import it from handlers/.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { closeServer, listen } from '../emulator/listen.ts';
import { functionUrlEvent } from './function-url-event.ts';

/** What a Function URL handler answers (payload format 2.0, structured form). */
export interface FunctionUrlAnswer {
  readonly statusCode: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
}

/** A Function URL handler, as handlers/ingest.ts exports it. */
export type FunctionUrlHandler = (event: LambdaFunctionURLEvent) => Promise<FunctionUrlAnswer>;

/** Lambda's invocation payload limit: a Function URL refuses larger requests with 413 before the function runs. */
export const FUNCTION_URL_MAX_REQUEST_BYTES = 6 * 1024 * 1024;

export interface IngestServerOptions {
  readonly handler: FunctionUrlHandler;
  /** 0 picks a free port. @default 0 */
  readonly port?: number;
  /** Requests above this many bytes get 413 without invoking the handler. @default FUNCTION_URL_MAX_REQUEST_BYTES */
  readonly maxRequestBytes?: number;
  /** Called when the handler throws (the caller then gets 502, as from a Function URL). */
  readonly onError?: (error: unknown) => void;
}

/** A running local ingest endpoint. */
export interface IngestServer {
  /** e.g. `http://127.0.0.1:41234`; POST CloudEvents to `${url}/`. */
  readonly url: string;
  readonly port: number;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/**
 * Serves a Function URL handler on 127.0.0.1: each request becomes a payload 2.0 event (see
 * {@link functionUrlEvent}), the handler's answer is written back as the Function URL would. A handler that
 * throws gets 502, a body over the invocation limit 413.
 */
export async function startIngestServer(options: IngestServerOptions): Promise<IngestServer> {
  const maxBytes = options.maxRequestBytes ?? FUNCTION_URL_MAX_REQUEST_BYTES;
  const server = createServer((req, res) => {
    serve(req, res, options, maxBytes).catch((error: unknown) => {
      options.onError?.(error);
      if (!res.headersSent) answer(res, plain(502, 'Internal Server Error'));
      else res.destroy();
    });
  });
  const { url, port } = await listen(server, '127.0.0.1', options.port ?? 0);
  let closed: Promise<void> | undefined;
  return {
    url,
    port,
    close: () => {
      closed ??= closeServer(server);
      return closed;
    },
  };
}

async function serve(
  req: IncomingMessage,
  res: ServerResponse,
  options: IngestServerOptions,
  maxBytes: number,
): Promise<void> {
  const receivedAtMs = Date.now();
  const body = await readBody(req, maxBytes);
  if (body === undefined) {
    // The rest of the body is not read; close the connection rather than drain it.
    res.setHeader('connection', 'close');
    answer(res, plain(413, 'Request Entity Too Large'));
    return;
  }
  const event = functionUrlEvent({
    method: req.method ?? 'GET',
    url: req.url ?? '/',
    headers: req.headers,
    body,
    sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
    receivedAtMs,
  });
  answer(res, await options.handler(event));
}

/** The whole body, or undefined as soon as it passes `maxBytes`. */
async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > maxBytes) return undefined;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

function answer(res: ServerResponse, result: FunctionUrlAnswer): void {
  const body = Buffer.from(result.body ?? '', result.isBase64Encoded ? 'base64' : 'utf8');
  res.writeHead(result.statusCode, { ...result.headers, 'content-length': String(body.length) });
  res.end(body);
}

function plain(statusCode: number, message: string): FunctionUrlAnswer {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ Message: message }) };
}
