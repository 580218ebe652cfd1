import { timingSafeEqual } from 'node:crypto';
import { formatTimestamp, signParams } from '../../lib/alibaba/sign.ts';
import { MAX_TIMESTAMP_SKEW_MS } from './defaults.ts';
import { type EcsErrorAnswer, ecsError, missingParameter } from './ecs-error.ts';
import type { NonceCache } from './nonce-cache.ts';

/** An account the emulator accepts. With `securityToken` it behaves like STS credentials. */
export interface EmulatorAccount {
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  readonly securityToken?: string;
}

/** Everything {@link verifyRequest} needs besides the request itself. */
export interface VerifyContext {
  readonly accounts: ReadonlyMap<string, EmulatorAccount>;
  readonly nonces: NonceCache;
  readonly nowMs: number;
}

/** The authenticated account, or the ECS error to answer with. */
export type VerifyResult =
  | { readonly ok: true; readonly account: EmulatorAccount }
  | { readonly ok: false; readonly error: EcsErrorAnswer };

// Checked in this order, so the first missing one is named.
const REQUIRED_PARAMS = [
  'Action',
  'Version',
  'AccessKeyId',
  'SignatureMethod',
  'SignatureVersion',
  'SignatureNonce',
  'Timestamp',
  'Signature',
] as const;

const TIMESTAMP_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/**
 * Authenticates one RPC request like ECS does: required parameters, AccessKeyId, signature (over the
 * HTTP method actually used), timestamp skew, nonce replay, then the STS token. The nonce is recorded
 * only once the signature and timestamp are good, so forged requests cannot burn a client's nonces.
 */
export function verifyRequest(
  method: 'GET' | 'POST',
  params: Readonly<Record<string, string>>,
  ctx: VerifyContext,
): VerifyResult {
  for (const name of REQUIRED_PARAMS) {
    if (!params[name]) return fail(missingParameter(name));
  }
  const accessKeyId = params.AccessKeyId ?? '';
  const account = ctx.accounts.get(accessKeyId);
  if (!account) return fail(ecsError('InvalidAccessKeyId.NotFound', 404, 'Specified access key is not found.'));

  if (params.SignatureMethod !== 'HMAC-SHA1' || params.SignatureVersion !== '1.0') {
    return fail(ecsError('IncompleteSignature', 400, 'The request signature does not conform to Aliyun standards.'));
  }
  const expected = Buffer.from(signParams(method, params, account.accessKeySecret));
  const given = Buffer.from(params.Signature ?? '');
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    // Real ECS echoes its string to sign here; the emulator does not, so no signed material is ever echoed.
    return fail(ecsError('SignatureDoesNotMatch', 400, 'Specified signature is not matched with our calculation.'));
  }

  const timestampError = checkTimestamp(params.Timestamp ?? '', ctx.nowMs);
  if (timestampError) return fail(timestampError);

  if (!ctx.nonces.use(`${accessKeyId}\n${params.SignatureNonce ?? ''}`, ctx.nowMs)) {
    return fail(ecsError('SignatureNonceUsed', 400, 'Specified signature nonce was used already.'));
  }

  const token = params.SecurityToken;
  if (account.securityToken !== undefined && token === undefined) {
    return fail(ecsError('MissingSecurityToken', 400, 'SecurityToken is missing.'));
  }
  if (token !== undefined && token !== account.securityToken) {
    return fail(ecsError('InvalidSecurityToken.Mismatch', 400, 'Specified SecurityToken mismatch with the AccessKey.'));
  }
  return { ok: true, account };
}

function checkTimestamp(timestamp: string, nowMs: number): EcsErrorAnswer | undefined {
  const epochMs = TIMESTAMP_PATTERN.test(timestamp) ? Date.parse(timestamp) : Number.NaN;
  // The round trip rejects dates Date.parse would roll over, such as 2024-02-30.
  if (Number.isNaN(epochMs) || formatTimestamp(epochMs) !== timestamp) {
    return ecsError('InvalidTimeStamp.Format', 400, 'Specified time stamp or date value is not well formatted.');
  }
  if (Math.abs(nowMs - epochMs) > MAX_TIMESTAMP_SKEW_MS) {
    return ecsError('InvalidTimeStamp.Expired', 400, 'Specified time stamp or date value is expired.');
  }
  return undefined;
}

function fail(error: EcsErrorAnswer): VerifyResult {
  return { ok: false, error };
}
