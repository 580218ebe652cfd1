import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { ECS_API_VERSION } from '../core/ecs-api.ts';
import { ApiError, NetworkError } from '../core/errors.ts';
import type { CallOptions } from '../core/ports.ts';
import type { AlibabaCredentials, CredentialsSource } from './credentials.ts';
import { formatTimestamp, signParams } from './sign.ts';

/** Options of the signed RPC transport: endpoint, credentials, timeouts, and the injected clock and nonce. */
export interface RpcTransportOptions {
  /** Overrides `https://ecs.<RegionId>.aliyuncs.com` for every region. */
  readonly endpoint?: string;
  readonly credentials: CredentialsSource;
  /** @default 10000 */
  readonly requestTimeoutMs?: number;
  /** Sockets kept per host. @default 256 */
  readonly maxSockets?: number;
  /** Injected for tests; every attempt reads the clock afresh. */
  readonly now?: () => number;
  readonly nonce?: () => string;
}

/** Largest response body we read; a full listing page is tens of KiB, an error a few hundred bytes. */
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

/** Public regional endpoint; the SDK's `ecs-cn-hangzhou` alias is not needed because the regional form resolves. */
export function regionalEndpoint(regionId: string): string {
  return `https://ecs.${regionId}.aliyuncs.com`;
}

/** An ECS answer: its RequestId and the whole JSON document, for the caller to read its own fields from. */
export interface RpcResponse {
  readonly requestId: string;
  readonly document: Readonly<Record<string, unknown>>;
}

/**
 * Sends signed ECS RPC calls (POST, form body, Format=JSON) and turns every failure into an ApiError or a
 * NetworkError. It never retries: retries belong to the executor alone, so they cannot multiply.
 */
export class RpcTransport {
  readonly #options: RpcTransportOptions;
  readonly #httpAgent: http.Agent;
  readonly #httpsAgent: https.Agent;

  constructor(options: RpcTransportOptions) {
    this.#options = options;
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 256, scheduling: 'lifo' as const };
    this.#httpAgent = new http.Agent(agentOptions);
    this.#httpsAgent = new https.Agent(agentOptions);
  }

  /** One signed call of `action` with its API parameters (Action, format, version and signature are added). */
  async call(
    action: string,
    apiParams: Readonly<Record<string, string>>,
    options: CallOptions = {},
  ): Promise<RpcResponse> {
    const regionId = apiParams.RegionId ?? '';
    const body = await this.#signedBody({ ...apiParams, Action: action });
    const url = new URL('/', this.#options.endpoint ?? regionalEndpoint(regionId));
    return this.#post(url, body, options);
  }

  /** Closes idle keep-alive sockets so the process can exit. */
  close(): void {
    this.#httpAgent.destroy();
    this.#httpsAgent.destroy();
  }

  async #signedBody(apiParams: Record<string, string>): Promise<string> {
    const credentials: AlibabaCredentials = await this.#options.credentials();
    const now = this.#options.now ?? Date.now;
    // A fresh nonce and timestamp on every attempt: ECS refuses a reused nonce for about 31 minutes.
    const params: Record<string, string> = {
      ...apiParams,
      Format: 'JSON',
      Version: ECS_API_VERSION,
      AccessKeyId: credentials.accessKeyId,
      SignatureMethod: 'HMAC-SHA1',
      SignatureVersion: '1.0',
      SignatureNonce: (this.#options.nonce ?? randomUUID)(),
      Timestamp: formatTimestamp(now()),
    };
    if (credentials.securityToken !== undefined) params.SecurityToken = credentials.securityToken;
    params.Signature = signParams('POST', params, credentials.accessKeySecret);
    return new URLSearchParams(params).toString();
  }

  #post(url: URL, body: string, options: CallOptions): Promise<RpcResponse> {
    const timeoutMs = Math.max(1, options.timeoutMs ?? this.#options.requestTimeoutMs ?? 10_000);
    const isHttps = url.protocol === 'https:';
    const transport = isHttps ? https : http;
    return new Promise((resolve, reject) => {
      if (options.signal?.aborted) {
        reject(new NetworkError('Aborted', 'request aborted before it was sent'));
        return;
      }
      const req = transport.request(url, {
        method: 'POST',
        agent: isHttps ? this.#httpsAgent : this.#httpAgent,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
          accept: 'application/json',
        },
      });
      let settled = false;
      const finish = (error: Error | undefined, value?: RpcResponse) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        if (error) {
          req.destroy();
          reject(error);
        } else if (value) resolve(value);
      };
      const timer = setTimeout(
        () => finish(new NetworkError('Timeout', `no response within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const onAbort = () => finish(new NetworkError('Aborted', 'request aborted'));
      options.signal?.addEventListener('abort', onAbort, { once: true });

      req.on('error', (error: NodeJS.ErrnoException) => {
        // The message of a socket error never carries the body, so it cannot leak the signature.
        finish(new NetworkError(error.code ?? 'NetworkError', error.message, { cause: error }));
      });
      req.on('response', (res) => readResponse(res, finish));
      req.end(body);
    });
  }
}

/** Reads an answer (at most MAX_RESPONSE_BYTES of it) and settles the call with its document or its error. */
function readResponse(
  res: http.IncomingMessage,
  finish: (error: Error | undefined, value?: RpcResponse) => void,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  res.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_RESPONSE_BYTES) chunks.push(chunk);
  });
  res.on('error', (error: NodeJS.ErrnoException) =>
    finish(new NetworkError(error.code ?? 'NetworkError', error.message, { cause: error })),
  );
  res.on('end', () => {
    try {
      finish(undefined, parseResponse(res.statusCode ?? 0, res.headers, Buffer.concat(chunks).toString('utf8')));
    } catch (error) {
      finish(error as Error);
    }
  });
}

/** Turns an HTTP answer into its document or throws the ApiError it describes. */
export function parseResponse(status: number, headers: http.IncomingHttpHeaders, text: string): RpcResponse {
  const doc = parseJsonObject(text);
  const requestId = typeof doc?.RequestId === 'string' ? doc.RequestId : undefined;
  if (status >= 200 && status < 300 && doc !== undefined && typeof doc.Code !== 'string') {
    return { requestId: requestId ?? '', document: doc };
  }
  const code = typeof doc?.Code === 'string' && doc.Code !== '' ? doc.Code : `Http${status}`;
  const message =
    typeof doc?.Message === 'string' ? withoutStringToSign(doc.Message) : `HTTP ${status} with no error document`;
  const retryAfterMs = parseRetryAfter(headers['x-acs-retry-after']);
  throw new ApiError(code, status, requestId, message, retryAfterMs);
}

/**
 * ECS answers SignatureDoesNotMatch with "server string to sign is:<StringToSign>", which holds every
 * signed parameter, SecurityToken included; the message goes to logs and reports, so the echo is cut.
 */
function withoutStringToSign(message: string): string {
  const at = message.search(/string\s*to\s*sign/i);
  return at < 0 ? message : `${message.slice(0, at).trimEnd()} [string to sign omitted]`;
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function parseRetryAfter(header: string | string[] | undefined): number | undefined {
  const raw = Array.isArray(header) ? header[0] : header;
  if (raw === undefined) return undefined;
  const ms = Number(raw);
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}
