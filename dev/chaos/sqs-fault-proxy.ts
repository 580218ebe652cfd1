import { once } from 'node:events';
import { Agent, createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mulberry32 } from '../emulator/faults.ts';

/** Options of {@link startSqsFaultProxy}. */
export interface SqsFaultProxyOptions {
  /** fauxqs' endpoint, e.g. `http://127.0.0.1:41234`. */
  readonly target: string;
  /** Share of SendMessage and SendMessageBatch calls that fail, 0..1. */
  readonly failRate: number;
  /** Seed of the failure schedule. */
  readonly seed: number;
}

/** Counters of a running proxy. */
export interface SqsFaultProxyStats {
  /** Send calls seen (SendMessage and SendMessageBatch). */
  sends: number;
  /** Send calls answered with a whole-call 500. */
  failedCalls: number;
  /** Batch calls answered 200 with every entry failed on the server's side. */
  failedBatches: number;
  /** Requests of any other action, passed through. */
  forwarded: number;
}

/** A running proxy. */
export interface SqsFaultProxy {
  readonly endpoint: string;
  stats(): SqsFaultProxyStats;
  close(): Promise<void>;
}

const SEND_ACTIONS = new Set(['SendMessage', 'SendMessageBatch']);

/**
 * A loopback HTTP proxy in front of fauxqs (AWS JSON protocol) that fails a seeded share of the sends the
 * handler makes: half as a whole-call `InternalError` 500, half (for batches) as a 200 naming every entry
 * as failed on the server's side. Nothing is stored for a failed send, so the sender must retry or report it.
 */
export async function startSqsFaultProxy(options: SqsFaultProxyOptions): Promise<SqsFaultProxy> {
  const random = mulberry32(options.seed);
  const upstream = new URL(options.target);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const counters: SqsFaultProxyStats = { sends: 0, failedCalls: 0, failedBatches: 0, forwarded: 0 };

  const answer = (res: ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const action = String(req.headers['x-amz-target'] ?? '').replace(/^AmazonSQS\./, '');
      if (SEND_ACTIONS.has(action)) {
        counters.sends++;
        if (random() < options.failRate) {
          if (action === 'SendMessageBatch' && random() < 0.5) {
            counters.failedBatches++;
            answer(res, 200, { Successful: [], Failed: entryIds(raw).map(failedEntry) });
          } else {
            counters.failedCalls++;
            answer(res, 500, { __type: 'com.amazonaws.sqs#InternalError', message: 'injected by the chaos proxy' });
          }
          return;
        }
      } else {
        counters.forwarded++;
      }
      const forward = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
          agent,
        },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      forward.on('error', () => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
      forward.end(raw);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stats: () => ({ ...counters }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}

function entryIds(raw: Buffer): string[] {
  try {
    const body: unknown = JSON.parse(raw.toString('utf8'));
    const entries = typeof body === 'object' && body !== null ? (body as { Entries?: unknown }).Entries : undefined;
    if (!Array.isArray(entries)) return [];
    return entries.map((e: unknown) => String((e as { Id?: unknown } | null)?.Id ?? ''));
  } catch {
    return [];
  }
}

function failedEntry(id: string): { Id: string; SenderFault: false; Code: string; Message: string } {
  return { Id: id, SenderFault: false, Code: 'InternalError', Message: 'injected by the chaos proxy' };
}
