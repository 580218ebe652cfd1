import { once } from 'node:events';
import { Agent, createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mulberry32 } from '../emulator/faults.ts';

/** What the proxy does with one SQS request: pass it on, or answer it itself. */
export type SqsProxyDecision =
  | { readonly kind: 'forward' }
  | { readonly kind: 'respond'; readonly status: number; readonly body: unknown };

/** Decides from the SQS action (from `X-Amz-Target`) and the request's JSON body (`{}` when it has none). */
export type SqsProxyDecide = (action: string, body: Readonly<Record<string, unknown>>) => SqsProxyDecision;

/** A running proxy. */
export interface SqsFaultProxy {
  /** The proxy's URL; give SQS clients this as their endpoint. */
  readonly endpoint: string;
  close(): Promise<void>;
}

/**
 * A loopback HTTP proxy in front of an SQS endpoint (fauxqs, AWS JSON protocol) that answers the requests
 * `decide` picks itself, to produce the failures fauxqs never does (5xx, throttling, per-entry server
 * faults), and forwards the rest untouched.
 */
export async function startSqsFaultProxy(target: string, decide: SqsProxyDecide): Promise<SqsFaultProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const action = String(req.headers['x-amz-target'] ?? '').replace(/^AmazonSQS\./, '');
      const decision = decide(action, jsonObject(raw));
      if (decision.kind === 'respond') answer(res, decision.status, decision.body);
      else forward(req, res, raw, upstream, agent);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Counters of {@link seededSendFaults}. */
export interface SendFaultStats {
  /** Send calls seen (SendMessage and SendMessageBatch). */
  sends: number;
  /** Send calls answered with a whole-call 500. */
  failedCalls: number;
  /** Batch calls answered 200 with every entry failed on the server's side. */
  failedBatches: number;
  /** Requests of any other action, passed through. */
  forwarded: number;
}

const SEND_ACTIONS = new Set(['SendMessage', 'SendMessageBatch']);

/**
 * A {@link SqsProxyDecide} that fails a seeded share (`failRate`, 0..1) of the sends: half as a whole-call
 * `InternalError` 500, half (for batches) as a 200 naming every entry as failed on the server's side.
 * Nothing is stored for a failed send, so the sender must retry or report it.
 */
export function seededSendFaults(options: { readonly failRate: number; readonly seed: number }): {
  decide: SqsProxyDecide;
  stats(): SendFaultStats;
} {
  const random = mulberry32(options.seed);
  const counters: SendFaultStats = { sends: 0, failedCalls: 0, failedBatches: 0, forwarded: 0 };
  const decide: SqsProxyDecide = (action, body) => {
    if (!SEND_ACTIONS.has(action)) {
      counters.forwarded++;
      return { kind: 'forward' };
    }
    counters.sends++;
    if (random() >= options.failRate) return { kind: 'forward' };
    if (action === 'SendMessageBatch' && random() < 0.5) {
      counters.failedBatches++;
      return { kind: 'respond', status: 200, body: { Successful: [], Failed: entryIds(body).map(failedEntry) } };
    }
    counters.failedCalls++;
    const error = { __type: 'com.amazonaws.sqs#InternalError', message: 'injected by the fault proxy' };
    return { kind: 'respond', status: 500, body: error };
  };
  return { decide, stats: () => ({ ...counters }) };
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function forward(req: IncomingMessage, res: ServerResponse, raw: Buffer, upstream: URL, agent: Agent): void {
  const options = { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, agent };
  const outgoing = request({ ...options, headers: req.headers }, (up) => {
    res.writeHead(up.statusCode ?? 502, up.headers);
    up.pipe(res);
  });
  outgoing.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  outgoing.end(raw);
}

function jsonObject(raw: Buffer): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(raw.toString('utf8') || '{}');
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    // Not JSON: decide on the action alone and forward the body untouched.
    return {};
  }
}

function entryIds(body: Readonly<Record<string, unknown>>): string[] {
  const entries = body.Entries;
  if (!Array.isArray(entries)) return [];
  return entries.map((e: unknown) => String((e as { Id?: unknown } | null)?.Id ?? ''));
}

function failedEntry(id: string): { Id: string; SenderFault: false; Code: string; Message: string } {
  return { Id: id, SenderFault: false, Code: 'InternalError', Message: 'injected by the fault proxy' };
}
