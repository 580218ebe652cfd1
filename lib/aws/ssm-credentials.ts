import * as z from 'zod';
import { type AlibabaCredentials, type CredentialsSource, environmentCredentials } from '../alibaba/credentials.ts';
import type { Config } from '../config.ts';
import { CredentialsError, messageOf } from '../core/errors.ts';

/** Which SSM parameters hold the Alibaba key, and how the extension is reached. */
export interface SsmCredentialsOptions {
  /** SSM parameter names (SecureString) holding the Alibaba access key id and secret. */
  readonly accessKeyIdParam: string;
  readonly accessKeySecretParam: string;
  /** The AWS Parameters and Secrets Lambda Extension's local endpoint. @default 'http://localhost:2773' */
  readonly extensionUrl?: string;
  /** Proves to the extension that the caller is this function. @default process.env.AWS_SESSION_TOKEN */
  readonly sessionToken?: string;
  /** How long fetched credentials are reused before asking again (a rotation takes effect after this). @default 300000 */
  readonly ttlMs?: number;
  readonly now?: () => number;
}

/**
 * Alibaba credentials from SSM SecureString parameters, read through the AWS Parameters and Secrets
 * Lambda Extension (a local HTTP cache run by AWS beside the function). This keeps secrets out of the
 * deployment config and out of the bundle: no SSM SDK client is needed.
 */
export function ssmExtensionCredentials(options: SsmCredentialsOptions): CredentialsSource {
  const now = options.now ?? Date.now;
  const ttlMs = options.ttlMs ?? 300_000;
  let cached: { value: AlibabaCredentials; fetchedAt: number } | undefined;
  let inFlight: Promise<AlibabaCredentials> | undefined;
  const fetchBoth = async (): Promise<AlibabaCredentials> => {
    const [accessKeyId, accessKeySecret] = await Promise.all([
      getParameter(options, options.accessKeyIdParam),
      getParameter(options, options.accessKeySecretParam),
    ]);
    const value = { accessKeyId, accessKeySecret };
    cached = { value, fetchedAt: now() };
    return value;
  };
  return async () => {
    if (cached && now() - cached.fetchedAt < ttlMs) return cached.value;
    inFlight ??= fetchBoth().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
}

/**
 * The Alibaba credentials of a Lambda function: the SSM SecureStrings through the extension when both
 * parameter names are configured, else the `ALIBABA_CLOUD_*` variables. Every function uses this one path.
 */
export function lambdaCredentials(
  config: Pick<Config, 'ssmAccessKeyIdParam' | 'ssmAccessKeySecretParam'>,
  env: Readonly<Record<string, string | undefined>>,
): CredentialsSource {
  return config.ssmAccessKeyIdParam && config.ssmAccessKeySecretParam
    ? ssmExtensionCredentials({
        accessKeyIdParam: config.ssmAccessKeyIdParam,
        accessKeySecretParam: config.ssmAccessKeySecretParam,
      })
    : environmentCredentials(env);
}

/** How one SecureString is read through the extension (the transport half of {@link SsmCredentialsOptions}). */
export type SsmExtensionOptions = Pick<SsmCredentialsOptions, 'extensionUrl' | 'sessionToken'>;

// The extension's GetParameter answer; only the value is read, and it is never echoed.
const parameterAnswer = z.object({ Parameter: z.object({ Value: z.string().min(1) }) });

/** Reads one SecureString through the extension (the ingest token, or one half of the Alibaba key). */
export async function getParameter(options: SsmExtensionOptions, name: string): Promise<string> {
  const base = options.extensionUrl ?? 'http://localhost:2773';
  const url = `${base}/systemsmanager/parameters/get?name=${encodeURIComponent(name)}&withDecryption=true`;
  const token = options.sessionToken ?? process.env.AWS_SESSION_TOKEN ?? '';
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { 'X-Aws-Parameters-Secrets-Token': token },
      signal: AbortSignal.timeout(5000),
    });
  } catch (error) {
    throw new CredentialsError(
      `cannot reach the Parameters and Secrets extension for SSM parameter ${name}: is the layer attached? (${messageOf(error)})`,
      { cause: error },
    );
  }
  // Never include the body in errors: on success it holds the secret.
  if (!response.ok) {
    await response.body?.cancel();
    throw new CredentialsError(
      `SSM parameter ${name} could not be read (HTTP ${response.status}); check the name and the IAM grant`,
    );
  }
  const answer = parameterAnswer.safeParse(await response.json().catch(() => undefined));
  if (!answer.success) throw new CredentialsError(`SSM parameter ${name} is empty or malformed`);
  return answer.data.Parameter.Value;
}
